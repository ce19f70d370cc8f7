"""Build the job artifact once and upload it to the artifacts bucket.

The artifact (docs/adr/0012-job-packaging.md) is, under ``s3://<artifacts>/jobs/<version>/``:

- ``goldmine-<v>-py3-none-any.whl``: the project wheel (``pip wheel --no-deps .``);
- ``environment.tar.gz``: a virtual environment made with ``python -m venv --copies``
  with the wheel and its pinned dependencies installed, tar.gz'ed from its root, for
  ``spark.archives=...#environment`` (``PYSPARK_PYTHON=./environment/bin/python``);
- ``jobs/<name>.py``: the entry points, used as ``spark-submit`` scripts;
- ``jars/goldmine-delta-logstore-1.jar``: the platform's Delta LogStore (ADR 0023), which
  EMR does not ship, for ``spark.jars``;
- ``manifest.json``: version, EMR release, Python and Spark versions, file list.

``<version>`` is the project version plus a digest of the sources, the lock file and the
release label, so an unchanged tree is built and uploaded once.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from goldmine.jobs._registry import discover_jobs
from goldmine.settings import Settings

ARTIFACT_PREFIX = "jobs"
ENVIRONMENT_ARCHIVE = "environment.tar.gz"
ENVIRONMENT_ALIAS = "environment"
_SOURCE_DIRS = ("goldmine", "lake", "lakehouse", "mesh", "jobs")
# The cluster's own Spark serves the JVM side and shadows pyspark on PYTHONPATH; the
# JARs pyspark ships (~300 MB) are dead weight in the archive.
_ARCHIVE_EXCLUDES = ("pyspark/jars/", "pyspark/examples/", "/__pycache__/")
#: The platform's Delta LogStore JAR (``make jars`` builds it into ``<jar_dir>/spark``).
LOG_STORE_JAR = "goldmine-delta-logstore-1.jar"


class PackageError(RuntimeError):
    """The artifact cannot be built as asked; the message says what to change."""


@dataclass(frozen=True)
class ReleaseRuntime:
    """What an EMR release line runs: the versions the artifact must match."""

    spark: tuple[str, ...]
    python: tuple[str, ...]


#: EMR release lines and their runtimes (Amazon EMR release guide). EMR 7 runs Spark
#: 3.5 on Amazon Linux 2023 with Python 3.9 by default; Python 3.11 is installed and
#: selected with PYSPARK_PYTHON, which the packed environment does. EMR 6 runs Python 3.7.
RELEASES: dict[str, ReleaseRuntime] = {
    "emr-7": ReleaseRuntime(spark=("3.5",), python=("3.9", "3.11")),
    "emr-6": ReleaseRuntime(spark=("3.0", "3.1", "3.2", "3.3", "3.4"), python=("3.7",)),
}


@dataclass(frozen=True)
class Artifact:
    """A built (and possibly uploaded) job artifact."""

    version: str
    bucket: str
    release_label: str
    python: str
    spark: str
    files: tuple[str, ...]
    local_dir: Path | None = None

    @property
    def prefix(self) -> str:
        """Return the key prefix of the artifact in the bucket."""
        return f"{ARTIFACT_PREFIX}/{self.version}/"

    def uri(self, name: str) -> str:
        """Return the ``s3://`` URI of one file of the artifact."""
        return f"s3://{self.bucket}/{self.prefix}{name}"

    def job_uri(self, job: str) -> str:
        """Return the ``s3://`` URI of a job's entry point script."""
        return self.uri(f"jobs/{job}.py")

    @property
    def log_store_jar_uri(self) -> str:
        """Return the ``s3://`` URI of the Delta LogStore JAR (for ``spark.jars``)."""
        return self.uri(f"jars/{LOG_STORE_JAR}")

    @property
    def archive_uri(self) -> str:
        """Return the ``spark.archives`` value (``s3://.../environment.tar.gz#environment``)."""
        return f"{self.uri(ENVIRONMENT_ARCHIVE)}#{ENVIRONMENT_ALIAS}"


def check_release(release_label: str, *, python: str, spark: str) -> ReleaseRuntime:
    """Return the runtime of ``release_label``; refuse Python or Spark versions it lacks.

    Parameters
    ----------
    release_label
        ``settings.emr_release_label`` (``emr-7.12.0``).
    python, spark
        ``major.minor`` versions the artifact is built with.

    Raises
    ------
    PackageError
        For an unknown release line or a version the release does not run.
    """
    line = release_label.split(".", 1)[0]
    runtime = RELEASES.get(line)
    if runtime is None:
        raise PackageError(
            f"unknown EMR release {release_label!r}: supported lines are "
            f"{', '.join(f'{k}.x' for k in RELEASES)} (set GOLDMINE_EMR_RELEASE_LABEL)"
        )
    spark_minor = ".".join(spark.split(".")[:2])
    if spark_minor not in runtime.spark or python not in runtime.python:
        raise PackageError(
            f"{release_label} runs Spark {'/'.join(runtime.spark)} with Python "
            f"{'/'.join(runtime.python)}, but this build uses Spark {spark} and Python "
            f"{python}: build with a matching interpreter or change the release label"
        )
    return runtime


def source_version(repo: Path, settings: Settings) -> str:
    """Return ``<project version>-<digest>``: equal trees give equal versions."""
    digest = hashlib.sha256(settings.emr_release_label.encode())
    for name in ("pyproject.toml", "requirements.lock"):
        if (repo / name).exists():
            digest.update((repo / name).read_bytes())
    log_store_jar = settings.jar_dir / "spark" / LOG_STORE_JAR
    if log_store_jar.exists():
        digest.update(log_store_jar.read_bytes())
    for folder in _SOURCE_DIRS:
        for path in sorted((repo / folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(repo)).encode())
                digest.update(path.read_bytes())
    from importlib.metadata import version

    return f"{version('goldmine')}-{digest.hexdigest()[:12]}"


def repo_root() -> Path:
    """Return the project folder the wheel is built from (holds ``pyproject.toml``)."""
    import goldmine

    root = Path(next(iter(goldmine.__path__))).parent
    if not (root / "pyproject.toml").exists():
        raise PackageError(f"no pyproject.toml in {root}: package from a source checkout")
    return root


def build_package(settings: Settings, *, repo: Path | None = None, log: Any = None) -> Artifact:
    """Build the artifact under ``<data_dir>/artifacts/<version>/`` unless it is built.

    Parameters
    ----------
    settings
        Release label (versions to match), artifacts bucket, data directory.
    repo
        The source checkout; the installed ``goldmine``'s by default.
    log
        Called with one line per step (the CLI shows progress); ``None`` keeps quiet.

    Raises
    ------
    PackageError
        On a release mismatch, or when a build step fails (with its output).
    """
    import pyspark

    say = log or (lambda _line: None)
    python = f"{sys.version_info.major}.{sys.version_info.minor}"
    check_release(settings.emr_release_label, python=python, spark=pyspark.__version__)
    repo = repo or repo_root()
    log_store_jar = settings.jar_dir / "spark" / LOG_STORE_JAR
    if not log_store_jar.exists():
        raise PackageError(f"the Delta LogStore JAR {log_store_jar} is missing: run `make jars`")
    version = source_version(repo, settings)
    out = settings.data_dir / "artifacts" / version
    manifest_path = out / "manifest.json"
    if manifest_path.exists():
        say(f"artifact {version} already built in {out}")
        return _artifact(json.loads(manifest_path.read_text()), settings, out)
    work = out.with_name(f"{version}.partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    say("building the project wheel (pip wheel --no-deps)")
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work), str(repo)])
    wheel = next(work.glob("goldmine-*.whl"))
    venv = work / "venv"
    say("creating the environment (python -m venv --copies)")
    _run([sys.executable, "-m", "venv", "--copies", str(venv)])
    say("installing the wheel and its pinned dependencies into it")
    install = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-input"]
    lock = repo / "requirements.lock"
    if lock.exists():
        install += ["-c", str(lock)]
    _run([*install, str(wheel)])
    say(f"packing the environment into {ENVIRONMENT_ARCHIVE}")
    _pack(venv, work / ENVIRONMENT_ARCHIVE)
    shutil.rmtree(venv)
    (work / "jobs").mkdir()
    for job in discover_jobs(repo / "jobs").values():
        shutil.copy2(job.path, work / "jobs" / job.path.name)
    (work / "jars").mkdir()
    shutil.copy2(log_store_jar, work / "jars" / LOG_STORE_JAR)
    files = sorted(str(p.relative_to(work)) for p in work.rglob("*") if p.is_file())
    manifest = {
        "version": version,
        "release_label": settings.emr_release_label,
        "python": python,
        "spark": pyspark.__version__,
        "files": [*files, "manifest.json"],
    }
    (work / "manifest.json").write_text(json.dumps(manifest, indent=2))
    shutil.rmtree(out, ignore_errors=True)
    work.rename(out)
    say(f"built artifact {version} in {out}")
    return _artifact(manifest, settings, out)


def upload_package(s3: Any, artifact: Artifact, *, log: Any = None) -> Artifact:
    """Upload a built artifact (skipped when its manifest is already in the bucket).

    The manifest goes last, so a present manifest means a complete upload; then
    ``jobs/LATEST`` names this version.
    """
    say = log or (lambda _line: None)
    if artifact.local_dir is None:
        raise PackageError("the artifact has no local build to upload")
    if find_artifact(s3, artifact.bucket, artifact.version) is None:
        for name in artifact.files:
            if name == "manifest.json":
                continue
            say(f"uploading {artifact.uri(name)}")
            s3.upload_file(str(artifact.local_dir / name), artifact.bucket, artifact.prefix + name)
        s3.upload_file(
            str(artifact.local_dir / "manifest.json"),
            artifact.bucket,
            artifact.prefix + "manifest.json",
        )
    else:
        say(f"artifact {artifact.version} already in s3://{artifact.bucket}/{artifact.prefix}")
    s3.put_object(
        Bucket=artifact.bucket, Key=f"{ARTIFACT_PREFIX}/LATEST", Body=artifact.version.encode()
    )
    return artifact


def find_artifact(s3: Any, bucket: str, version: str | None = None) -> Artifact | None:
    """Return the uploaded artifact ``version`` (the latest when ``None``), or ``None``."""
    try:
        if version is None:
            latest = s3.get_object(Bucket=bucket, Key=f"{ARTIFACT_PREFIX}/LATEST")
            version = latest["Body"].read().decode().strip()
        body = s3.get_object(Bucket=bucket, Key=f"{ARTIFACT_PREFIX}/{version}/manifest.json")
    except s3.exceptions.NoSuchKey:
        return None
    manifest = json.loads(body["Body"].read())
    return Artifact(
        version=manifest["version"],
        bucket=bucket,
        release_label=manifest["release_label"],
        python=manifest["python"],
        spark=manifest["spark"],
        files=tuple(manifest["files"]),
    )


def require_artifact(s3: Any, settings: Settings, version: str | None = None) -> Artifact:
    """Return the uploaded artifact for a submission, checked against the release label.

    Raises
    ------
    PackageError
        When nothing is uploaded (run ``goldmine jobs package``) or it was built for
        another release.
    """
    bucket = settings.buckets.artifacts
    artifact = find_artifact(s3, bucket, version)
    if artifact is None:
        what = f"version {version}" if version else "artifact"
        raise PackageError(
            f"no job {what} in s3://{bucket}/{ARTIFACT_PREFIX}/: run `goldmine jobs package`"
        )
    check_release(settings.emr_release_label, python=artifact.python, spark=artifact.spark)
    return artifact


def _artifact(manifest: dict[str, Any], settings: Settings, out: Path) -> Artifact:
    return Artifact(
        version=manifest["version"],
        bucket=settings.buckets.artifacts,
        release_label=manifest["release_label"],
        python=manifest["python"],
        spark=manifest["spark"],
        files=tuple(manifest["files"]),
        local_dir=out,
    )


def _pack(venv: Path, archive: Path) -> None:
    def keep(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
        name = f"/{info.name}/"
        return None if any(part in name for part in _ARCHIVE_EXCLUDES) else info

    with tarfile.open(archive, "w:gz", compresslevel=3) as tar:
        for child in sorted(venv.iterdir()):
            tar.add(child, arcname=child.name, filter=keep)


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise PackageError(f"{' '.join(command[:4])} ... failed: " + " | ".join(tail))
