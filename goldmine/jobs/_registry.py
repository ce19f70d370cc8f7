"""Find the job entry points in ``jobs/`` and run one in-process."""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass
from pathlib import Path

#: Cost-allocation domain and job role per job name prefix (``lake_ingest`` -> ``lake``).
_ARCHITECTURES = ("lakehouse", "lake", "mesh")


class JobNotFoundError(LookupError):
    """No entry point of that name exists in ``jobs/``; the message lists those that do."""


@dataclass(frozen=True)
class JobSpec:
    """One job entry point.

    Attributes
    ----------
    name
        The job name (the module name: ``smoke``, ``lake_ingest``, ...).
    path
        The module file, also the ``spark-submit`` script.
    architecture
        ``lake``, ``lakehouse``, ``mesh`` or ``platform`` (from the name prefix).
    """

    name: str
    path: Path

    @property
    def module(self) -> str:
        """Return the importable module name (``jobs.<name>``)."""
        return f"jobs.{self.name}"

    @property
    def architecture(self) -> str:
        """Return the architecture the job belongs to (``platform`` for shared jobs)."""
        for arch in _ARCHITECTURES:
            if self.name == arch or self.name.startswith(f"{arch}_"):
                return arch
        return "platform"

    @property
    def job_role(self) -> str:
        """Return the ``goldmine.iam`` role the job runs as on EMR (``spark-<arch>``)."""
        return f"spark-{self.architecture if self.architecture != 'platform' else 'lakehouse'}"


def jobs_dir() -> Path:
    """Return the folder of the job entry points (the ``jobs`` package)."""
    import jobs

    return Path(next(iter(jobs.__path__)))


def discover_jobs(folder: Path | None = None) -> dict[str, JobSpec]:
    """Return ``{name: JobSpec}`` for every ``jobs/*.py`` that defines ``main(argv)``.

    Modules are parsed, not imported, so a broken or heavy module cannot stop the
    listing; private modules (``_x.py``) and ``__init__.py`` are skipped.

    Parameters
    ----------
    folder
        Where to look; the ``jobs`` package by default.
    """
    folder = folder or jobs_dir()
    found: dict[str, JobSpec] = {}
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        try:
            tree = ast.parse(path.read_text(), filename=str(path))
        except SyntaxError:
            continue
        if any(_is_main(node) for node in tree.body):
            found[path.stem] = JobSpec(name=path.stem, path=path.resolve())
    return found


def get_job(name: str, folder: Path | None = None) -> JobSpec:
    """Return the job called ``name``.

    Raises
    ------
    JobNotFoundError
        When no such job exists; the message lists the known jobs.
    """
    known = discover_jobs(folder)
    if name not in known:
        raise JobNotFoundError(
            f"no job {name!r} in {folder or jobs_dir()}; known jobs: {', '.join(known) or 'none'}"
        )
    return known[name]


def run_job(name: str, argv: list[str]) -> int:
    """Import ``jobs.<name>`` and call its ``main(argv)`` in this process; return its code."""
    spec = get_job(name)
    module = importlib.import_module(spec.module)
    code = module.main(list(argv))
    return int(code or 0)


def _is_main(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.FunctionDef)
        and node.name == "main"
        and len(node.args.args) + len(node.args.posonlyargs) >= 1
    )
