import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograder.checks.sec_error_leaks import (
    answered,
    expect_no_leak,
    pieces_of,
    request_id_of,
    without_ids,
)
from autograder.engine.checkkit import ask_both, fail, require, rule, same_answer, show
from autograder.engine.proptest import examples, slow_examples


@pytest.fixture(scope="session")
def reference_app(reference_app, reference, learner_env_file):
    """The reference with the run's `.env` (the plugin hands it over only with a database)."""
    values = {name.lower(): value for name, value in learner_env_file.items()}
    reference_app.dependency_overrides[reference.get_settings] = lambda: reference.Settings(
        **values
    )
    # The reference runs in this process: what it logs must not reach the notebook's stderr
    # (nbgrader validate counts a check cell that writes there as failed).
    quiet = logging.NullHandler()
    reference.log.addHandler(quiet)
    propagated, reference.log.propagate = reference.log.propagate, False
    yield reference_app
    reference.log.removeHandler(quiet)
    reference.log.propagate = propagated


SERVED = ("AT", "BE", "DE", "ES", "FR", "IT", "NL", "PL")  # by the carrier, with a fee
NO_FEE = ("DK", "SE")  # by the carrier, without a fee: the route's KeyError
NOT_SERVED = ("US", "JP", "CA", "BR", "AU", "CN", "IN", "ZA", "MX", "NO")  # the carrier's 503


def failing_call(method, country, grams):
    if method == "GET":
        return "GET", "/quotes", {"params": {"to": country, "grams": grams}}
    return "POST", "/shipments", {"json": {"to": country, "grams": grams}}


@rule(
    "security-8",
    hint="Every failing request answers as the reference does: 500 or 502, a fixed body, no key.",
)
@slow_examples
@given(
    method=st.sampled_from(["GET", "POST"]),
    country=st.sampled_from(NO_FEE + NOT_SERVED),
    grams=st.integers(min_value=1, max_value=30_000),
)
def test_any_failure_tells_nothing(
    learner_client, reference_client, learner_env_file, method, country, grams
):
    """generated failing quotes and labels: the reference's status, a fixed body, no key"""
    method, url, sent = failing_call(method, country, grams)
    request_line = f"{method} {url} {sent}"
    learner = learner_client.request(method, url, **sent)
    expect_no_leak(learner, request_line, learner_env_file)
    if method == "GET" and country in NO_FEE:
        # The reference's KeyError, which its handler answers with a 500 (in this process the
        # error would also be raised into the check, so the reference is not asked).
        require(
            learner.status_code == 500,
            f"{request_line} answered {show(learner)}; the reference answers 500.",
        )
    else:
        reference = reference_client.request(method, url, **sent)
        same_answer(learner, reference, request_line, compare_body=False)
    if learner.status_code < 500:
        return  # a label for a country without a fee: made, as the reference makes it
    # The same kind of failure for another country and weight: the body must not differ.
    other = NOT_SERVED[0] if country in NOT_SERVED else NO_FEE[0]
    method, url, again = failing_call(method, other, 1 + grams % 977)
    baseline = learner_client.request(method, url, **again)
    require(
        without_ids(learner.json() if _is_json(learner) else learner.text)
        == without_ids(baseline.json() if _is_json(baseline) else baseline.text),
        f"{request_line} answered {show(learner)} and {method} {url} {again} answered "
        f"{show(baseline)}: the body depends on what failed. Answer a fixed one.",
    )


def _is_json(response):
    return response.headers.get("content-type", "").startswith("application/json")


TOKENS = st.text(
    alphabet="abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789_", min_size=12, max_size=40
)
PLACES = ("grams", "to", "extra", "query-grams", "query-to")


def refused_request(place, token):
    if place == "grams":
        return "POST", "/shipments", {"json": {"to": "DE", "grams": token}}
    if place == "to":
        return "POST", "/shipments", {"json": {"to": token, "grams": 500}}
    if place == "extra":
        return "POST", "/shipments", {"json": {"to": "DE", "password": token}}
    if place == "query-grams":
        return "GET", "/quotes", {"params": {"to": "DE", "grams": token}}
    return "GET", "/quotes", {"params": {"to": token, "grams": 500}}


@rule(
    "security-8",
    hint="No 422 echoes what was sent, wherever a token lands: `loc`, `msg`, `type` only.",
)
@examples
@given(place=st.sampled_from(PLACES), token=TOKENS)
def test_no_refusal_echoes_a_token(learner_client, reference_client, place, token):
    """a token in any wrong field: refused where the reference refuses it, never echoed"""
    method, url, sent = refused_request(place, token)
    request_line = f"{method} {url} {sent}"
    learner, reference = ask_both(learner_client, reference_client, method, url, **sent)
    same_answer(learner, reference, request_line)
    text = answered(learner)
    echoed = next((piece for piece in sorted(pieces_of(token)) if piece in text), None)
    if echoed is not None:
        fail(
            f"{request_line} answered {show(learner)}: it echoes part of the token sent "
            f"({echoed!r}…). Answer each error's `loc`, `msg` and `type`, not its `input` or "
            "`ctx`."
        )


@rule("security-8", hint="Every failure gets an id of its own, between successes too.")
def test_request_ids_are_never_reused(learner_client, reference_client):
    """unexpected errors between working quotes: each its own id, the quotes the reference's"""
    ids = []
    for step in range(6):
        served = SERVED[step % len(SERVED)]
        url = f"/quotes?to={served}&grams={100 + step}"
        same_answer(*ask_both(learner_client, reference_client, "GET", url), f"GET {url}")
        failing = f"/quotes?to={NO_FEE[step % 2]}&grams={700 + step}"
        response = learner_client.get(failing)
        require(
            response.status_code == 500 and request_id_of(response),
            f"GET {failing} answered {show(response)}; expected 500 with a request id.",
        )
        ids.append(request_id_of(response))
    require(
        len(set(ids)) == len(ids),
        f"Six unexpected errors answered the request ids {ids}: some were shared.",
    )


@rule("security-8", hint="Quotes and labels the carrier serves answer as the reference's.")
@slow_examples
@given(
    method=st.sampled_from(["GET", "POST"]),
    country=st.sampled_from(SERVED),
    grams=st.integers(min_value=1, max_value=30_000),
)
def test_working_requests_match_the_reference(
    learner_client, reference_client, method, country, grams
):
    """generated quotes and labels the carrier serves match the reference's answers"""
    method, url, sent = failing_call(method, country, grams)
    same_answer(
        *ask_both(learner_client, reference_client, method, url, **sent), f"{method} {url} {sent}"
    )
