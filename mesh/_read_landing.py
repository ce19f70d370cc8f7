"""The landing bucket as one publish run sees it: settled once, for every product of the run.

Settling the landing (``goldmine.landing.settled_files``: listings of the bucket, one
GET per batch manifest, perhaps a wait for a batch in its quiet period, ADR 0026) and
listing the ETags of a feed's files (:func:`mesh._fingerprint_inputs.landed_etags`) do
not depend on the product. A run that publishes several products (``goldmine mesh
publish``) makes one :class:`Landing` and hands it to each publish: the landing is
settled once, at the first product built from feeds, and every product of the run
reads the same settled files. A publish given no landing settles its own. Publishes
running at once (``mesh publish``) share one: it settles and lists once, under a lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from mesh._fingerprint_inputs import landed_etags

if TYPE_CHECKING:
    from goldmine.rules import LandedFile
    from goldmine.settings import Settings

log = logging.getLogger(__name__)


class Landing:
    """The settled landed files of one publish run, listed and settled on first use.

    Parameters
    ----------
    s3
        A boto3 S3 client.
    settings
        The landing bucket and the settle rule's quiet period.
    say
        Called with the settle rule's lines (a wait, a batch left to a later run).

    Examples
    --------
    >>> landing = Landing(s3=None, settings=None)  # nothing is read yet
    >>> landing.files([])
    {}
    """

    def __init__(
        self, s3: Any, settings: Settings, *, say: Callable[[str], None] = log.warning
    ) -> None:
        self._s3, self._settings, self._say = s3, settings, say
        self._lock = threading.RLock()  # publishes running at once share one landing
        self._settled: list[LandedFile] | None = None
        self._etags: dict[str, dict[str, str]] = {}  # feed -> {uri: ETag}

    def files(self, feeds: Iterable[str]) -> dict[str, list[LandedFile]]:
        """Return the settled landed files of ``feeds``, per feed (settles on first use)."""
        feeds = list(feeds)
        if not feeds:
            return {}
        settled = self._settle()
        return {feed: [f for f in settled if f.feed == feed] for feed in feeds}

    def etags(self, feeds: Iterable[str]) -> dict[str, str]:
        """Return ``{uri: ETag}`` of the settled files of ``feeds`` (one listing per feed, run)."""
        etags: dict[str, str] = {}
        for feed, files in self.files(feeds).items():
            with self._lock:
                if feed not in self._etags:
                    self._etags[feed] = landed_etags(self._s3, files)
            etags.update(self._etags[feed])
        return etags

    def _settle(self) -> list[LandedFile]:
        from goldmine.landing import settled_files

        with self._lock:
            if self._settled is None:
                bucket, quiet = self._settings.buckets.landing, self._settings.quiet_seconds
                self._settled, _ = settled_files(self._s3, bucket, quiet, say=self._say)
            return self._settled
