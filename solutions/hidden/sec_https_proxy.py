"""Hidden checks: generated requests, as the proxy and as a stranger, compared with the
reference, which runs here (trusted) with the learner's `.env` settings, each request seen as
coming from the peer's address, as a TCP connection from it would be."""

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from autograder.engine.checkkit import body_of, brief, fail, rule
from autograder.engine.clients import InProcessClient
from autograder.engine.proptest import examples

PROXY, STRANGER = "127.0.0.1", "127.0.0.2"
# The first two are in ALLOWED_HOSTS. One string: a message quoting one never quotes this file.
HOSTS = (
    "api.example.com shop.example.com evil.example evil.api.example.com "
    "api.example.com.evil.example example.com localhost 127.0.0.1"
).split()
address = st.tuples(*[st.integers(1, 223)] + [st.integers(0, 255)] * 3).map(
    lambda parts: ".".join(map(str, parts))
)
forwarded_for = st.none() | st.lists(address, min_size=1, max_size=3).map(", ".join)
path = st.sampled_from(["/whoami", "/orders", "/nowhere", "/whoami/"]) | st.builds(
    lambda page: f"/orders?page={page}", st.integers(1, 99)
)


class FromPeer:
    """The app, every request on it coming from ``peer`` (what uvicorn puts in the scope)."""

    def __init__(self, app, peer):
        self.app, self.peer = app, peer

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            scope = {**scope, "client": (self.peer, 40_000)}
        await self.app(scope, receive, send)


class ServedReference:
    """The reference built with the learner's settings, one in-process client per peer."""

    def __init__(self, reference, env):
        values = {name.lower(): json.loads(value) for name, value in env.items()}
        self.app = reference.create_app(reference.Settings(**values))
        self.clients = {}

    def peer(self, address):
        if address not in self.clients:
            self.clients[address] = InProcessClient(FromPeer(self.app, address)).start()
        return self.clients[address]

    def request(self, method, url, **kwargs):
        return self.peer(PROXY).request(method, url, **kwargs)

    def get(self, url, **kwargs):
        return self.request("GET", url, **kwargs)

    def close(self):
        for client in self.clients.values():
            client.close()


@pytest.fixture(scope="module")
def served_reference(reference, learner_env_file):
    served = ServedReference(reference, learner_env_file)
    yield served
    served.close()


def outcome(response, hsts_wanted):
    """What the learner's answer must share with the reference's."""
    body = body_of(response) if response.status_code in (200, 201) else None
    hsts = "strict-transport-security" in response.headers if hsts_wanted else None
    return response.status_code, response.headers.get("location"), body, hsts


@rule(
    "security-9",
    hint="Any peer, Host, forwarded headers and path: the reference's status, redirect and body.",
)
@examples
@given(
    peer=st.sampled_from([PROXY, STRANGER]),
    host=st.sampled_from(HOSTS),
    scheme=st.sampled_from([None, "http", "https"]),
    forwarded=forwarded_for,
    url=path,
    post=st.booleans(),
)
@example(
    peer=STRANGER,
    host="api.example.com",
    scheme="https",
    forwarded="10.1.2.3",
    url="/whoami",
    post=False,
)
@example(
    peer=PROXY, host="evil.example", scheme="http", forwarded=None, url="/orders?page=3", post=True
)
@example(
    peer=PROXY,
    host="shop.example.com",
    scheme="https",
    forwarded="9.9.9.9, 8.8.8.8",
    url="/whoami",
    post=False,
)
def test_any_request_is_answered_as_the_reference_answers(
    learner_client, served_reference, peer, host, scheme, forwarded, url, post
):
    """generated peers, Hosts, X-Forwarded-Proto/-For and paths get the reference's answer"""
    headers = {"Host": host}
    if scheme:
        headers["X-Forwarded-Proto"] = scheme
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    method, url = ("POST", "/orders") if post else ("GET", url)
    kwargs = {"headers": headers, "json": {"item": "tea"}} if post else {"headers": headers}
    mine = learner_client.peer(peer).request(method, url, **kwargs)
    theirs = served_reference.peer(peer).request(method, url, **kwargs)
    # HSTS is compared where the reference sends it (https answers); over http it is harmless.
    hsts_wanted = "strict-transport-security" in theirs.headers
    if outcome(mine, hsts_wanted) != outcome(theirs, hsts_wanted):
        sent = ", ".join(f"{k}: {v}" for k, v in headers.items())
        who = "the proxy" if peer == PROXY else f"a stranger at {peer}"
        fail(
            f"{method} {url} from {who} with `{sent}` answered {summary(mine)}; the reference "
            f"answered {summary(theirs)}."
        )


def summary(response):
    shown = str(response.status_code)
    if "location" in response.headers:
        shown += f" to {response.headers['location']}"
    elif response.status_code in (200, 201):
        shown += f" {brief(body_of(response))}"
    if "strict-transport-security" in response.headers:
        shown += " with HSTS"
    return shown


@rule(
    "security-9",
    hint=(
        "Every redirect, followed as a browser follows it through the proxy (a POST stays a "
        "POST with its body), must be answered as the reference answers."
    ),
)
@examples
@given(host=st.sampled_from(HOSTS[:2]), url=path, post=st.booleans())
@example(host="api.example.com", url="/orders", post=True)
def test_a_followed_redirect_is_answered(learner_client, served_reference, host, url, post):
    """a redirect followed through the proxy (now https) is answered as the reference answers"""
    method, url = ("POST", "/orders") if post else ("GET", url)
    body = {"json": {"item": f"tea for {len(host)}"}} if post else {}
    first = learner_client.request(
        method, url, headers={"Host": host, "X-Forwarded-Proto": "http"}, **body
    )
    location = first.headers.get("location", "")
    prefix = f"https://{host}"
    if first.status_code != 307 or not location.startswith(prefix):
        fail(
            f"{method} {url} from the proxy as plain http (Host: {host}) answered "
            f"{summary(first)}; expected 307 to {prefix}{url}."
        )
    again = location.removeprefix(prefix)
    https = {"Host": host, "X-Forwarded-Proto": "https"}
    mine = learner_client.request(method, again, headers=https, **body)
    theirs = served_reference.request(method, again, headers=https, **body)
    if outcome(mine, True) != outcome(theirs, True):
        fail(
            f"{method} {url} was redirected to {location}; followed through the proxy as https "
            f"it answered {summary(mine)}, the reference {summary(theirs)}."
        )
