from autograder.engine.checkkit import require, rule, show

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
