"""Errors of the lake; each message is one line a data engineer can act on."""

from __future__ import annotations


class LakeError(RuntimeError):
    """A lake step cannot go on; the message says what to do."""


class NothingLandedError(LakeError):
    """No file of any feed landed for the requested ingest date."""


class RawConflictError(LakeError):
    """A raw object exists with other bytes than the landed file: raw is immutable."""
