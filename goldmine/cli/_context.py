"""The CLI's one platform: settings read once at start-up, services started on demand."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from goldmine.settings import Settings, load_settings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from goldmine.platform import Platform


@dataclass
class _Context:
    debug: bool = False
    settings: Settings | None = None
    platform: Platform | None = field(default=None, repr=False)


_CONTEXT = _Context()


def start(*, debug: bool) -> None:
    """Read the settings once, at CLI start-up."""
    _CONTEXT.debug = debug
    _CONTEXT.settings = None
    _CONTEXT.platform = None


def is_debug() -> bool:
    """Whether ``--debug`` was given."""
    return _CONTEXT.debug


def get_settings() -> Settings:
    """Return the settings (read on first use, then kept for the process)."""
    if _CONTEXT.settings is None:
        _CONTEXT.settings = load_settings()
    return _CONTEXT.settings


def get_platform() -> Platform:
    """Return the platform, starting the local services when they are not running."""
    if _CONTEXT.platform is None:
        from goldmine.platform import connect

        _CONTEXT.platform = connect(get_settings())
    return _CONTEXT.platform


def build_command_session(app_name: str, *, dump_class_archive: bool = False) -> SparkSession:
    """Start Spark for a command whose process runs one build (or the demo), then exits.

    On a small landing the driver runs C1 alone (``quick_jit``, ADR 0038); call it once
    the command has landed or found its work.
    """
    from goldmine.spark import build_session, small_landing

    platform = get_platform()
    small = small_landing(platform.aws.s3(), platform.settings.buckets.landing)
    return build_session(
        platform.aws, app_name=app_name, quick_jit=small, dump_class_archive=dump_class_archive
    )
