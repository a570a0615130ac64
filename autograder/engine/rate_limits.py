"""Lesson 06's rate limit played over moved time (``autograder.engine.timeline``), and judged
by the rule the lesson states: five searches per client in any ten seconds.

Judged by the rule, not by the reference's statuses, so that a moving window and a token
bucket (five at once, one more every two seconds) both pass: never more answered than five
plus what a refill of one every two seconds allows in any stretch of time; never refused while
fewer than five searches were answered in the ten seconds before; a Retry-After no longer than
the wait (and a second of rounding), and a retry after it answered.

Each call's moment is known to within its round trip: the answer reads its clock after the
request left here and before its answer came back. Every bound takes the side of the answer
(the longest the time could have been where more is allowed, the shortest where a search left
the window), so a busy machine, on which a minute of requests takes seconds of real time, does
not make a correct limit look wrong.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass
from typing import Any

from autograder.engine.checkkit import require
from autograder.engine.timeline import Timeline

LIMIT = 5  # searches per client
WINDOW = 10.0  # in any ten seconds
RATE = LIMIT / WINDOW  # what a token bucket of five refills: one search every two seconds
AS_TOLD_MARGIN = 0.05  # a retry this long after the Retry-After the answer gave
_sequences = itertools.count()


@dataclass
class Call:
    at: float  # nominal seconds since the sequence began
    sent: float  # real seconds since the sequence began, when it left and when it came back
    answered: float
    who: str
    status: int
    retry_after: str | None
    as_told: bool  # sent when the last 429 to this client said to try again

    @property
    def earliest(self) -> float:
        return self.at + self.sent

    @property
    def latest(self) -> float:
        return self.at + self.answered

    def __str__(self) -> str:
        said = f" Retry-After {self.retry_after}" if self.retry_after is not None else ""
        return f"{self.at:g} s: {self.status}{said}"


def play(client: Any, steps: list[tuple[float, str, bool]], prefix: str = "s") -> list[Call]:
    """Send ``steps`` (seconds after the previous step, client, retry as told) as searches."""
    timeline, sequence = Timeline(client), next(_sequences)
    calls: list[Call] = []
    last: dict[str, Call] = {}
    now = 0.0
    began = time.monotonic()
    for gap, who, retry in steps:
        now += gap
        told = False
        before = last.get(who)
        if retry and before is not None and before.status == 429:
            seconds = before.retry_after or ""
            if seconds.isdigit():
                now, told = max(now, before.at + int(seconds) + AS_TOLD_MARGIN), True
        sent = time.monotonic() - began
        response = timeline.request(
            now, "GET", "/search", params={"q": "art"},
            headers={"X-Api-Key": f"{prefix}{sequence}-{who}"},
        )  # fmt: skip
        answered = time.monotonic() - began
        call = Call(
            now, sent, answered, who, response.status_code,
            response.headers.get("retry-after"), told,
        )  # fmt: skip
        calls.append(call)
        last[who] = call
    return calls


def first_broken_rule(calls: list[Call]) -> str | None:
    """The first call that breaks the lesson's limit, rule by rule (the most telling first:
    too many answered, then refused too soon, then what Retry-After said), with the calls of
    its client before it."""
    clients = sorted({call.who for call in calls})
    for rule_of in (too_many_answered, refused_too_soon, retry_after_wrong, retry_refused):
        for who in clients:
            mine = [call for call in calls if call.who == who]
            for n, call in enumerate(mine):
                said = rule_of(mine[:n], call)
                if said:
                    shown = "; ".join(str(c) for c in mine[max(0, n - 9) : n + 1])
                    return f"{said} This client's searches (seconds: status): {shown}."
    return None


def too_many_answered(before: list[Call], call: Call) -> str | None:
    if call.status not in (200, 429):
        return f"A search at {call.at:g} s answered {call.status}: 200, or 429 past the limit."
    if call.status != 200:
        return None
    answered = [c for c in before if c.status == 200 and c.at >= call.at - 2 * WINDOW]
    answered.append(call)
    for start in answered:
        within = [c for c in answered if c.at >= start.at]
        allowed = LIMIT + RATE * (call.latest - start.earliest) + 0.01
        if len(within) > allowed:
            return (
                f"{len(within)} searches were answered between {start.at:g} s and "
                f"{call.at:g} s; five in any ten seconds allows {math.floor(allowed)}. A fixed "
                "window (counts that reset at a boundary) lets ten through around its "
                "boundary: count the searches of the last ten seconds instead."
            )
    return None


def in_window(before: list[Call], call: Call) -> list[Call]:
    """This client's answered searches that may still have been in the window at ``call``."""
    return [c for c in before if c.status == 200 and call.earliest - c.latest < WINDOW]


def refused_too_soon(before: list[Call], call: Call) -> str | None:
    recent = in_window(before, call)
    if call.status == 429 and len(recent) < LIMIT:
        return (
            f"The search at {call.at:g} s was refused, although only {len(recent)} of this "
            "client's searches were answered in the ten seconds before it. Refused calls must "
            "not count against the client (or it stays locked out while it keeps trying), and "
            "the window must move with time."
        )
    return None


def retry_after_wrong(before: list[Call], call: Call) -> str | None:
    recent = in_window(before, call)
    if call.status != 429 or len(recent) < LIMIT:
        return None
    seconds = call.retry_after or ""
    if not seconds.isdigit() or int(seconds) < 1:
        return f"The 429 at {call.at:g} s came with Retry-After {call.retry_after!r}."
    fifth_last = sorted(recent, key=lambda c: c.at)[-LIMIT]
    wait = fifth_last.latest + WINDOW - call.earliest  # when it leaves the window, at the latest
    if int(seconds) > math.ceil(wait) + 1:
        return (
            f"The 429 at {call.at:g} s said Retry-After {seconds}, but the client may search "
            f"again {fifth_last.at + WINDOW - call.at:g} s later (its oldest search in the "
            "window leaves it then). Retry-After is the time until the next search is allowed, "
            "not the whole window."
        )
    return None


def retry_refused(before: list[Call], call: Call) -> str | None:
    if call.as_told and call.status == 429:
        return (
            f"Told by a 429 when to try again, the client did (at {call.at:g} s) and was "
            "refused again: Retry-After must say when the next search is allowed."
        )
    return None


def judge(calls: list[Call]) -> None:
    said = first_broken_rule(calls)
    require(said is None, f"{said} (Time was moved by the checks: see the lesson.)")


def burst(at: float, who: str, count: int) -> list[tuple[float, str, bool]]:
    return [(at, who, False)] + [(0.0, who, False)] * (count - 1)


def probes_after_a_burst() -> list[tuple[float, str, bool]]:
    """Five at once, then three every half second for ten seconds; twice, five seconds of
    phase apart, so that a window reset at a boundary falls early in one of the two."""
    steps = burst(0.0, "a", LIMIT)
    for _ in range(20):
        steps += burst(0.5, "a", 3)
    steps += burst(15.0, "b", LIMIT)
    for _ in range(20):
        steps += burst(0.5, "b", 3)
    return steps
