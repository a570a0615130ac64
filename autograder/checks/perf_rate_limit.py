from autograder.engine.checkkit import require, rule, show
from autograder.engine.rate_limits import LIMIT as WINDOW_LIMIT
from autograder.engine.rate_limits import burst, judge, play, probes_after_a_burst

LIMIT = 5


def _search(client, key, q="engine"):
    return client.get("/search", params={"q": q}, headers={"X-Api-Key": key})


@rule(
    "mandate-8",
    hint=(
        "Count each client's searches in a moving window with the `limits` library, in a "
        "dependency on the route, and answer 429 past five in ten seconds."
    ),
)
def test_a_client_past_its_limit_gets_429_with_retry_after(learner_client):
    """the sixth search in ten seconds from one client answers 429 with Retry-After"""
    answers = [_search(learner_client, "alpha") for _ in range(LIMIT + 1)]
    statuses = [a.status_code for a in answers]
    require(
        statuses[:LIMIT] == [200] * LIMIT,
        f"The first {LIMIT} searches from one client answered {statuses[:LIMIT]}.",
    )
    last = answers[-1]
    require(
        last.status_code == 429,
        f"Search {LIMIT + 1} from one client, within ten seconds, answered {show(last)}. A public "
        "endpoint without a limit lets one client take the whole index for itself.",
    )
    retry = last.headers.get("retry-after", "")
    require(
        retry.isdigit() and 1 <= int(retry) <= 10,
        f"The 429 came with Retry-After {retry!r}: a client needs to know when to try again "
        "(whole seconds, at most the window's ten).",
    )


@rule(
    "security-6",
    hint="The window is per client: the key is the API key (or the caller's address).",
)
def test_other_clients_are_not_limited(learner_client):
    """while one client is limited, another client's searches still answer"""
    for _ in range(LIMIT + 1):
        _search(learner_client, "gamma")
    other = _search(learner_client, "delta")
    require(
        other.status_code == 200,
        f"After client gamma used its searches, a search from another client answered "
        f"{show(other)}: one busy client has locked everyone out.",
    )


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
    judge(
        play(
            learner_client, burst(0.0, "a", 1) + burst(9.0, "a", 4) + burst(1.5, "a", WINDOW_LIMIT)
        )
    )


@rule(
    "mandate-8",
    hint="Retry-After: the seconds until this client's oldest search leaves the window.",
)
def test_retry_after_says_when(learner_client):
    """refused six seconds after five searches: told four seconds, and answered then"""
    steps = [*burst(0.0, "a", WINDOW_LIMIT), (6.0, "a", False), (0.0, "a", True), (0.0, "a", True)]
    judge(play(learner_client, steps))


@rule(
    "mandate-8",
    hint=(
        "Make the limiter (and its storage) in the lifespan and yield it: each run of the app "
        "starts counting afresh. Counters at module level outlive the run."
    ),
)
def test_a_restarted_app_counts_afresh(start_learner_app):
    """a client that used its searches, then a restart: its first search answers"""
    search = {
        "method": "GET",
        "url": "/search",
        "params": {"q": "engine"},
        "headers": {"X-Api-Key": "restarted"},
    }
    app = start_learner_app(lifespan_cycles={"count": 1, "requests": [[search] * (LIMIT + 1)]})
    try:
        first = _search(app.client, "restarted")
    finally:
        app.stop()
    require(
        first.status_code == 200,
        f"Client restarted used its {LIMIT} searches (and was refused a sixth), the app was "
        f"stopped and started again, and the restarted app answered that client's first search "
        f"{show(first)}: its counters outlived the run, kept at module level. Each run of the "
        "app counts afresh: make the limiter and its storage in the lifespan and yield them.",
    )
