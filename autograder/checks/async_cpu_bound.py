import hashlib

from autograder.engine.checkkit import (
    expect_status,
    loop_stall,
    reported_blocking,
    require,
    rule,
    stalled,
)

ITERATIONS = 200_000  # the starter's constant: the work the endpoint is expected to do
PASSWORD, SALT = "correct horse battery", "pepper-and-salt"


def stall_report(stall, seconds, report):
    """A failure message for a loop that stood still (measured from outside), or ''."""
    if not stalled(stall, seconds):
        return ""
    return (
        f"POST /keys/derive took {seconds * 1000:.0f} ms and the event loop stood still for "
        f"{stall * 1000:.0f} ms of it ({stall / seconds:.0%}): while the key was hashed, no "
        "other request could even be accepted. Hashing never awaits anything, so `async def` "
        "gives the loop no chance to run." + reported_blocking(report)
    )


@rule(
    "async-2",
    hint=(
        "Hashing never awaits: declare the endpoint with plain `def`, and FastAPI runs it"
        " in its threadpool, off the loop."
    ),
)
def test_deriving_a_key_leaves_the_loop_free(learner_client, learner_report):
    """the event loop keeps turning while a key is derived (measured from outside)"""
    payload = {"password": PASSWORD, "salt": SALT}
    response, stall, seconds = loop_stall(learner_client, "POST", "/keys/derive", json=payload)
    expect_status(response, 200, "POST /keys/derive")
    report = stall_report(stall, seconds, learner_report)
    require(not report, report)


@rule("async-2", hint="Only the `async` keyword has to go; the body stays the same.")
def test_the_key_is_pbkdf2(learner_client):
    """POST /keys/derive still answers the PBKDF2-SHA256 key"""
    response = learner_client.post("/keys/derive", json={"password": PASSWORD, "salt": SALT * 2})
    expect_status(response, 200, "POST /keys/derive")
    key = hashlib.pbkdf2_hmac("sha256", PASSWORD.encode(), (SALT * 2).encode(), ITERATIONS)
    expected = {"algorithm": "pbkdf2-sha256", "iterations": ITERATIONS, "key": key.hex()}
    require(
        response.json() == expected,
        f"POST /keys/derive answered {response.json()}; expected {expected}.",
    )
