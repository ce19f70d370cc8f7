"""The job artifact: built once per test run, its packed environment runs on its own.

The build (wheel + ``venv --copies`` with every pinned dependency + tar.gz) takes
minutes, so the module builds it once, from a snapshot of the checkout (a stable
source digest while the tree is being edited, and no help from the editable install);
the build is cached in the session data dir.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from goldmine.jobs import build_package, find_artifact, upload_package
from goldmine.jobs._package import ENVIRONMENT_ARCHIVE, repo_root

pytestmark = [pytest.mark.integration, pytest.mark.slow]


_SNAPSHOT = ("goldmine", "lake", "lakehouse", "mesh", "jobs")
_FILES = ("pyproject.toml", "requirements.lock", "README.md")


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    root, copy = repo_root(), tmp_path_factory.mktemp("source")
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in _SNAPSHOT:
        shutil.copytree(root / name, copy / name, ignore=ignore)
    for name in _FILES:
        shutil.copy2(root / name, copy / name)
    return copy


@pytest.fixture(scope="module")
def built(settings, source):
    return build_package(settings, repo=source)


def test_packed_environment_runs_with_its_own_interpreter(built, tmp_path: Path):
    assert built.local_dir is not None
    fresh = tmp_path / "unpacked"
    with tarfile.open(built.local_dir / ENVIRONMENT_ARCHIVE) as tar:
        tar.extractall(fresh, filter="tar")
    python = fresh / "bin" / "python"
    assert python.exists() and not python.is_symlink(), "venv --copies: a real interpreter"
    code = (
        "import sys, goldmine, great_expectations, delta; "
        "print(sys.prefix); print(goldmine.__file__)"
    )
    result = subprocess.run(
        [str(python), "-c", code], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    prefix, goldmine_file = result.stdout.split()[-2:]
    assert Path(prefix) == fresh  # its own environment, not the test's virtualenv
    assert Path(goldmine_file).is_relative_to(fresh)  # goldmine from the wheel, not the repo
    assert Path(sys.prefix) != fresh


def test_archive_leaves_out_what_the_cluster_provides(built):
    with tarfile.open(built.local_dir / ENVIRONMENT_ARCHIVE) as tar:
        names = tar.getnames()
    assert "bin/python" in names and "pyvenv.cfg" in names
    assert not any("/pyspark/jars/" in n for n in names)
    assert any(n.endswith("/pyspark/__init__.py") for n in names)


def test_artifact_is_built_once_and_uploaded(built, settings, platform, source):
    again = build_package(settings, repo=source)
    assert again == built  # same sources, same version, no rebuild
    s3 = platform.aws.s3()
    upload_package(s3, built)
    assert find_artifact(s3, settings.buckets.artifacts) == find_artifact(
        s3, settings.buckets.artifacts, built.version
    )
    for name in built.files:
        s3.head_object(Bucket=settings.buckets.artifacts, Key=built.prefix + name)
    assert "jobs/smoke.py" in built.files
    assert any(n.startswith("goldmine-") and n.endswith(".whl") for n in built.files)
