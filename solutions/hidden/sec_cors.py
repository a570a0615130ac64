import pytest
from hypothesis import given
from hypothesis import strategies as st

from autograder.checks.sec_cors import (
    COOKIE,
    STRANGERS,
    frontend_origins,
    listed,
    preflight,
    preflight_refusal,
    read_me,
    readable,
    said,
)
from autograder.engine.checkkit import ask_both, fail, rule, same_answer
from autograder.engine.clients import InProcessClient
from autograder.engine.proptest import examples


@pytest.fixture(scope="module")
def configured_reference(reference, learner_env_file):
    """The reference built with the same FRONTEND_ORIGINS as the learner's app."""
    settings = reference.Settings(frontend_origins=frontend_origins(learner_env_file))
    client = InProcessClient(reference.create_app(settings)).start()
    yield client
    client.close()


def _variants(origin):
    """Origins a browser may send that look like ``origin``: the same, or one change away."""
    scheme, _, host = origin.partition("://")
    first, _, rest = host.partition(".")
    other_scheme = "http" if scheme == "https" else "https"
    return [
        origin,
        f"{other_scheme}://{host}",
        f"{origin}:443",
        f"{origin}:8443",
        f"{origin}/",
        f"{origin}.evil.net",
        f"{scheme}://evil{host}",
        f"{scheme}://evil.{host}",
        f"{scheme}://{host.upper()}",
        f"{scheme}://{first}x{rest}",
        f"{scheme}://{first}.evil.net",
        f"{scheme}://{rest}" if rest else origin,
        f"{scheme}://{host.replace('.', 'x', 1)}",
        f"{origin}, https://evil.example",
    ]


def _origins(env_file):
    known = frontend_origins(env_file)
    return st.one_of(
        st.sampled_from(known).flatmap(lambda origin: st.sampled_from(_variants(origin))),
        st.sampled_from([*STRANGERS, "https://example.com", "NULL", "*"]),
    )


def _cors(response, origin):
    """What a browser learns from an answer's CORS headers."""
    allow = response.headers.get("access-control-allow-origin")
    credentials = response.headers.get("access-control-allow-credentials") if allow else None
    return {
        "Access-Control-Allow-Origin": allow,
        "Access-Control-Allow-Credentials": credentials,
        "readable by the page": readable(response, origin),
        "Vary names Origin": "origin" in listed(response.headers.get("vary")),
    }


@rule(
    "security-3",
    hint="Any Origin, however close to the front end's, is answered as the reference answers it.",
)
@examples
@given(data=st.data())
def test_any_origin_reads_what_the_reference_lets_it_read(
    learner_client, configured_reference, learner_env_file, data
):
    """GET /me from generated origins carries the reference's CORS headers"""
    origin = data.draw(_origins(learner_env_file), label="origin")
    mine, theirs = read_me(learner_client, origin), read_me(configured_reference, origin)
    if _cors(mine, origin) != _cors(theirs, origin):
        fail(
            f"GET /me with the member's cookie and Origin: {origin} answered {said(mine)}; the "
            f"reference answered {said(theirs)}. Name exactly the configured origins: same "
            "scheme, host and port, nothing before or after."
        )


methods = st.sampled_from(["PATCH", "GET", "DELETE", "PUT", "POST", "HEAD", "QUERY"])
header_sets = st.lists(
    st.sampled_from(["content-type", "Content-Type", "x-anything", "authorization", "accept"]),
    max_size=2,
    unique=True,
)


@rule(
    "security-3",
    hint="Any preflight (origin, method, headers) gets the reference's yes or no.",
)
@examples
@given(data=st.data(), method=methods, headers=header_sets)
def test_any_preflight_is_decided_as_the_reference_decides(
    learner_client, configured_reference, learner_env_file, data, method, headers
):
    """preflights from generated origins, methods and headers: allowed where the reference allows"""
    origin = data.draw(_origins(learner_env_file), label="origin")
    mine = preflight(learner_client, origin, method, headers)
    theirs = preflight(configured_reference, origin, method, headers)
    my_refusal = preflight_refusal(mine, origin, method, headers)
    their_refusal = preflight_refusal(theirs, origin, method, headers)
    if bool(my_refusal) != bool(their_refusal):
        asked = f", -Headers: {', '.join(headers)}" if headers else ""
        verdict = f"refused ({my_refusal})" if my_refusal else "allowed"
        expected = f"refuses it ({their_refusal})" if their_refusal else "allows it"
        fail(
            f"OPTIONS /me (a preflight: Origin: {origin}, Access-Control-Request-Method: "
            f"{method}{asked}) answered {said(mine)}: a browser takes it as {verdict}; the "
            f"reference {expected}."
        )


@rule(
    "security-3",
    hint="The account itself is served as before: 401 without the cookie, the member's with it.",
)
def test_the_account_is_served_as_the_reference_serves_it(learner_client, configured_reference):
    """GET and PATCH /me (no cookie, the cookie, a bad body, a new e-mail) as the reference"""
    steps = [
        ("GET", {}, None),
        ("GET", COOKIE, None),
        ("PATCH", COOKIE, {"mail": "x"}),
        ("PATCH", COOKIE, {"email": "ada@new.example"}),
        ("GET", COOKIE, None),
    ]
    for method, headers, body in steps:
        kwargs = {"headers": headers} | ({"json": body} if body is not None else {})
        mine, theirs = ask_both(learner_client, configured_reference, method, "/me", **kwargs)
        sent = f" with {body}" if body is not None else ""
        cookie = "with" if headers else "without"
        same_answer(mine, theirs, f"{method} /me {cookie} the member's cookie{sent}")
