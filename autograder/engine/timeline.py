"""Requests played at moments of a moved clock, so that rules about time are checked in
milliseconds instead of waiting real seconds.

Every answer process (the learner's, and the reference served as an answer) runs on the host's
movable clock (``workbook.host.clock``): a request carrying ``CLOCK_HEADER`` moves that
process's ``time.time()`` and ``time.monotonic()`` forward by the offset it names, before the
app sees the request. A ``Timeline`` sends each request at a nominal moment ``at`` (seconds
since the timeline began): the process then sees ``at`` plus the real time that has passed,
which only ever adds a few milliseconds, and always more for a later request. So two requests
whose moments are exactly ten seconds apart are a little more than ten seconds apart for the
app: a window of ten seconds has always expired, whichever comparison it uses.

The clock only moves forward: a timeline starts where the last one on the same client ended.
Only answers served by the host have such a clock; the reference in the checks' own process
(``reference_client``) does not, so timelines are played on ``start_reference_app()``.
"""

from __future__ import annotations

import weakref
from typing import Any

import httpx

from workbook.host.clock import CLOCK_HEADER

_offsets: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()


class Timeline:
    """One app's requests at nominal moments; ``at`` never goes back."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.base = _offsets.get(client, 0.0)
        self.now = 0.0

    def request(self, at: float, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if at < self.now:
            raise ValueError(f"a timeline only moves forward: {at} s after {self.now} s")
        self.now = at
        offset = self.base + at
        _offsets[self.client] = max(_offsets.get(self.client, 0.0), offset)
        headers = {**kwargs.pop("headers", {}), CLOCK_HEADER: f"{offset:.3f}"}
        return self.client.request(method, url, headers=headers, **kwargs)
