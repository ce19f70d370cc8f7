"""Which requests the fault proxy may fail (``goldmine.local.FaultProxy``)."""

from __future__ import annotations

import pytest

from goldmine.local._fault_proxy import FaultProxy, _Head


def _get(range_header: str | None) -> _Head:
    headers = [("Host", "127.0.0.1")] + ([("Range", range_header)] if range_header else [])
    return _Head("GET /bucket/key HTTP/1.1", headers)


@pytest.mark.parametrize(
    ("range_header", "faulted"),
    [
        ("bytes=4-66", True),  # a column chunk: 63 bytes
        ("bytes=0-1023", True),  # exactly the limit
        ("bytes=0-1024", False),  # one byte more
        ("bytes=0-10872", False),  # a footer read of the whole small file
        ("bytes=100-", False),  # open-ended: not known to be small
        (None, False),  # a plain GET (and a HEAD, a listing, a PUT)
    ],
)
def test_max_range_bytes_faults_only_small_ranged_reads(
    range_header: str | None, faulted: bool
) -> None:
    proxy = FaultProxy("http://127.0.0.1:9", rate=0.999999, max_range_bytes=1024)
    assert (proxy._decide(_get(range_header)) is not None) is faulted
    counts = proxy.counts()
    assert counts.requests == 1 and counts.injected == int(faulted)
