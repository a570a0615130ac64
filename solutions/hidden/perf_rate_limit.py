import itertools
import math
from dataclasses import dataclass

from hypothesis import example, given
from hypothesis import strategies as st

from autograder.engine.checkkit import ask_both, require, rule, same_answer
from autograder.engine.proptest import examples, slow_examples
from autograder.engine.timeline import Timeline

runs = iter(range(10_000))  # fresh client names for every example, on both sides
sequences = itertools.count()

LIMIT = 5  # searches per client
WINDOW = 10.0  # in any ten seconds
RATE = LIMIT / WINDOW  # what a token bucket of five refills: one search every two seconds
AS_TOLD_MARGIN = 0.05  # a retry this long after the Retry-After the answer gave


@rule("security-6", hint="Any mix of clients: the reference's statuses, request by request.")
@examples
@given(order=st.lists(st.sampled_from("abc"), min_size=1, max_size=14))
def test_any_mix_of_clients_gets_the_reference_answers(learner_client, reference_client, order):
    """generated interleavings of three clients get the reference's 200s and 429s"""
    run = next(runs)
    for who in order:
        headers = {"X-Api-Key": f"h{run}-{who}"}
        mine = learner_client.get("/search", params={"q": "art"}, headers=headers)
        theirs = reference_client.get("/search", params={"q": "art"}, headers=headers)
        require(
            mine.status_code == theirs.status_code
            and ("retry-after" in mine.headers) == ("retry-after" in theirs.headers),
            f"Clients {''.join(order)}: client {who} got {mine.status_code}, the reference "
            f"{theirs.status_code} (with Retry-After: {'retry-after' in theirs.headers}).",
        )


# Every title found by one of these, and the query's bounds (1 to 50 characters) on both sides.
QUERIES = ["engine", "ART", "every", "kernel", "sort", "of", "nothing", "", "a", "x" * 50, "x" * 51]


@rule("mandate-8", hint="The search itself, as before: the same titles, the same bounds on `q`.")
def test_searches_find_what_the_reference_finds(learner_client, reference_client):
    """each search, from a client of its own, gets the reference's titles (or its 422)"""
    for n, q in enumerate(QUERIES):
        headers = {"X-Api-Key": f"q{n}"}
        mine, theirs = ask_both(
            learner_client, reference_client, "GET", "/search", params={"q": q}, headers=headers
        )
        same_answer(mine, theirs, f"GET /search?q={q}")


# --- sequences over time ---------------------------------------------------------------------
#
# Played on the answer's movable clock (autograder.engine.timeline): seconds pass in
# milliseconds. Judged by the rule the lesson states, not by the reference's statuses, so
# that a moving window and a token bucket (five at once, one more every two seconds) both
# pass: never more than five plus what two seconds a search refill allows in any stretch of
# time; never refused while fewer than five searches were answered in the last ten seconds;
# a Retry-After no longer than the wait, and a retry after it answered.


@dataclass
class Call:
    at: float  # seconds since the sequence began (the answer sees a few ms more)
    who: str
    status: int
    retry_after: str | None
    as_told: bool  # sent when the last 429 to this client said to try again

    def __str__(self) -> str:
        said = f" Retry-After {self.retry_after}" if self.retry_after is not None else ""
        return f"{self.at:g} s: {self.status}{said}"


def play(client, steps: list[tuple[float, str, bool]]) -> list[Call]:
    """Send ``steps`` (seconds after the previous step, client, retry as told) as searches."""
    timeline, sequence = Timeline(client), next(sequences)
    calls: list[Call] = []
    last: dict[str, Call] = {}
    now = 0.0
    for gap, who, retry in steps:
        now += gap
        told = False
        before = last.get(who)
        if retry and before is not None and before.status == 429:
            seconds = before.retry_after or ""
            if seconds.isdigit():
                now, told = max(now, before.at + int(seconds) + AS_TOLD_MARGIN), True
        response = timeline.request(
            now, "GET", "/search", params={"q": "art"},
            headers={"X-Api-Key": f"s{sequence}-{who}"},
        )  # fmt: skip
        call = Call(now, who, response.status_code, response.headers.get("retry-after"), told)
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


def answered_before(before: list[Call]) -> list[float]:
    return [c.at for c in before if c.status == 200]


def too_many_answered(before: list[Call], call: Call) -> str | None:
    if call.status not in (200, 429):
        return f"A search at {call.at:g} s answered {call.status}: 200, or 429 past the limit."
    if call.status != 200:
        return None
    answered = [at for at in answered_before(before) if at >= call.at - 2 * WINDOW]
    answered.append(call.at)
    for start in answered:
        within = [at for at in answered if at >= start]
        allowed = LIMIT + RATE * (call.at - start) + 0.01
        if len(within) > allowed:
            return (
                f"{len(within)} searches were answered between {start:g} s and {call.at:g} s; "
                f"five in any ten seconds allows {math.floor(allowed)}. A fixed window (counts "
                "that reset at a boundary) lets ten through around its boundary: count the "
                "searches of the last ten seconds instead."
            )
    return None


def recent_answered(before: list[Call], call: Call) -> list[float]:
    return [at for at in answered_before(before) if at > call.at - WINDOW]


def refused_too_soon(before: list[Call], call: Call) -> str | None:
    recent = recent_answered(before, call)
    if call.status == 429 and len(recent) < LIMIT:
        return (
            f"The search at {call.at:g} s was refused, although only {len(recent)} of this "
            "client's searches were answered in the ten seconds before it. Refused calls must "
            "not count against the client (or it stays locked out while it keeps trying), and "
            "the window must move with time."
        )
    return None


def retry_after_wrong(before: list[Call], call: Call) -> str | None:
    recent = recent_answered(before, call)
    if call.status != 429 or len(recent) < LIMIT:
        return None
    seconds = call.retry_after or ""
    if not seconds.isdigit() or int(seconds) < 1:
        return f"The 429 at {call.at:g} s came with Retry-After {call.retry_after!r}."
    wait = sorted(recent)[-LIMIT] + WINDOW - call.at  # when the fifth-last leaves the window
    if int(seconds) > math.ceil(wait) + 1:
        return (
            f"The 429 at {call.at:g} s said Retry-After {seconds}, but the client may search "
            f"again {wait:g} s later (its oldest search in the window leaves it then). "
            "Retry-After is the time until the next search is allowed, not the whole window."
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


@rule(
    "mandate-8",
    hint=(
        "Count the searches of the last ten seconds (a moving window: `MovingWindowRateLimiter`),"
        " count only the answered ones, and say in Retry-After when the oldest leaves the window."
    ),
)
def test_a_client_that_keeps_asking_gets_back_in(learner_client):
    """five at once, then three every half second: back in after ten seconds, never past five"""
    judge(play(learner_client, probes_after_a_burst()))


@rule("mandate-8", hint="A window starts at no fixed moment: it is always the last ten seconds.")
def test_a_window_does_not_start_at_the_first_search(learner_client):
    """one search, four nine seconds later, then five more at 10.5 s: only one is answered"""
    judge(play(learner_client, burst(0.0, "a", 1) + burst(9.0, "a", 4) + burst(1.5, "a", LIMIT)))


@rule(
    "mandate-8",
    hint="Retry-After: the seconds until this client's oldest search leaves the window.",
)
def test_retry_after_says_when(learner_client):
    """refused six seconds after five searches: told four seconds, and answered then"""
    steps = [*burst(0.0, "a", LIMIT), (6.0, "a", False), (0.0, "a", True), (0.0, "a", True)]
    judge(play(learner_client, steps))


@rule("mandate-8", hint="Any searches over time: the lesson's limit, for every client.")
@slow_examples
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from([0.0, 0.0, 0.0, 0.5, 1.0, 2.5, 4.0, 7.0, 10.0]),
            st.sampled_from("ab"),
            st.booleans(),
        ),
        min_size=6,
        max_size=24,
    )
)
@example(steps=[(0.0, "a", False)] * 6 + [(3.0, "a", True), (0.0, "a", True)])
def test_any_searches_over_time_keep_the_limit(learner_client, steps):
    """generated searches over a minute of moved time keep five in ten seconds, for each client"""
    judge(play(learner_client, steps))
