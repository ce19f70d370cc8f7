"""Print the job image's requirements: the project's runtime pins minus what EMR provides.

Usage: ``python job_requirements.py pyproject.toml > requirements.txt`` (stdlib only,
so it runs in the image build before anything is installed).
"""

from __future__ import annotations

import re
import sys
import tomllib

#: Provided by the EMR release (pyspark) or only used by the local environment (moto).
EXCLUDED: frozenset[str] = frozenset({"pyspark", "moto"})


def job_requirements(pyproject: str) -> list[str]:
    """Return ``project.dependencies`` of ``pyproject`` without the excluded packages."""
    with open(pyproject, "rb") as handle:
        dependencies = tomllib.load(handle)["project"]["dependencies"]
    return [d for d in dependencies if re.split(r"[\[<>=!~ ;]", d, maxsplit=1)[0] not in EXCLUDED]


if __name__ == "__main__":
    print("\n".join(job_requirements(sys.argv[1])))
