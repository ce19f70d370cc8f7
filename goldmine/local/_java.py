"""Find a JDK new enough for a local service (Trino needs a newer one than Spark)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

#: Where JDKs are installed on Debian/Ubuntu (``/usr/lib/jvm``) and by hand (``/opt``).
JDK_ROOTS: tuple[Path, ...] = (Path("/usr/lib/jvm"), Path("/opt"), Path("/opt/java"))

_VERSION = re.compile(r'^JAVA_VERSION="(\d+)(?:[.\-+"]|$)', re.MULTILINE)


class JdkNotFoundError(RuntimeError):
    """No JDK of the version a service needs; the message says what to install."""


@dataclass(frozen=True)
class Jdk:
    """One installed JDK: its home directory and feature version (17, 25, ...)."""

    home: Path
    version: int

    @property
    def java(self) -> Path:
        """Return the ``java`` launcher of this JDK."""
        return self.home / "bin" / "java"


def jdk_at(home: Path) -> Jdk | None:
    """Return the JDK installed at ``home`` (read from its ``release`` file), if any."""
    release = home / "release"
    if not (home / "bin" / "java").is_file() or not release.is_file():
        return None
    match = _VERSION.search(release.read_text(encoding="utf-8", errors="replace"))
    return Jdk(home.resolve(), int(match.group(1))) if match else None


def installed_jdks(roots: tuple[Path, ...] = JDK_ROOTS) -> list[Jdk]:
    """Return the JDKs found directly under ``roots``, newest first (duplicates once)."""
    found: dict[Path, Jdk] = {}
    for root in roots:
        if not root.is_dir():
            continue
        for home in sorted(root.iterdir()):
            jdk = jdk_at(home)
            if jdk is not None:
                found.setdefault(jdk.home, jdk)
    return sorted(found.values(), key=lambda j: (-j.version, str(j.home)))


def find_jdk(
    minimum: int,
    *,
    for_what: str,
    java_home: Path | None = None,
    roots: tuple[Path, ...] = JDK_ROOTS,
) -> Jdk:
    """Return the newest installed JDK of version ``minimum`` or newer.

    Parameters
    ----------
    minimum
        The lowest feature version accepted (24 for Trino 476).
    for_what
        What needs it, for the error message (``"Trino 476"``).
    java_home
        A JDK chosen in the settings (``GOLDMINE_TRINO_JAVA_HOME``): used when it is new
        enough, an error otherwise; ``None`` searches ``roots``.

    Raises
    ------
    JdkNotFoundError
        With one line naming what was found and what to install.
    """
    if java_home is not None:
        jdk = jdk_at(java_home)
        if jdk is None or jdk.version < minimum:
            seen = "no JDK" if jdk is None else f"JDK {jdk.version}"
            raise JdkNotFoundError(
                f"{for_what} needs a JDK {minimum} or newer; GOLDMINE_TRINO_JAVA_HOME="
                f"{java_home} holds {seen}"
            )
        return jdk
    jdks = installed_jdks(roots)
    if jdks and jdks[0].version >= minimum:
        return jdks[0]
    seen = ", ".join(f"{j.version} ({j.home})" for j in jdks) or "none"
    where = ", ".join(str(r) for r in roots if r.is_dir()) or ", ".join(str(r) for r in roots)
    raise JdkNotFoundError(
        f"{for_what} needs a JDK {minimum} or newer; JDKs in {where}: {seen}. Install one "
        "(e.g. Eclipse Temurin 25 into /usr/lib/jvm) or set GOLDMINE_TRINO_JAVA_HOME"
    )
