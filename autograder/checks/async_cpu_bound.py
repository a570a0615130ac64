import hashlib
import time

from autograder.engine.checkkit import expect_status, require, rule

ITERATIONS = 200_000  # the starter's constant: the work the endpoint is expected to do
PASSWORD, SALT = "correct horse battery", "pepper-and-salt"
# A stall counts when the loop stood still for most of the request and for longer than the
# scheduling noise of a busy machine. The broken version stalls for ~100% of the request,
# a fixed one for a few percent, so the margins are wide on purpose.
STALL_SHARE = 0.6
NOISE_SECONDS = 0.02


def stalled(client, payload):
    """Send one derivation while a ticker watches the loop: (response, stall, request time)."""
    # One request first, so that first-call costs (imports, caches) are not timed as work.
    client.post("/keys/derive", json={})
    started = time.perf_counter()
    response, stall = client.loop_lag_during("POST", "/keys/derive", json=payload)
    return response, stall, time.perf_counter() - started


def stall_report(stall, seconds):
    """A failure message for a loop that stood still, or '' when it kept turning."""
    if stall <= NOISE_SECONDS or stall <= STALL_SHARE * seconds:
        return ""
    return (
        f"POST /keys/derive took {seconds * 1000:.0f} ms and the event loop stood still for "
        f"{stall * 1000:.0f} ms of it ({stall / seconds:.0%}): while the key was hashed, no "
        "other request could even be accepted. Hashing never awaits anything, so `async def` "
        "gives the loop no chance to run."
    )


@rule("async-2")
def test_deriving_a_key_leaves_the_loop_free(learner_client):
    """the event loop keeps turning while a key is derived (measured)"""
    response, stall, seconds = stalled(learner_client, {"password": PASSWORD, "salt": SALT})
    expect_status(response, 200, "POST /keys/derive")
    report = stall_report(stall, seconds)
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
