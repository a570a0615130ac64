"""What the checks' requests look like to an answer: like a real client's, never one constant.

An answer that recognises the checks' requests (an `Accept-Encoding: identity`, a
`testserver` host, httpx's user agent) could apply its fix only under test. So every request
takes the next of several fingerprints, and compressed answers are accepted where asked for,
inflated by the checks with a cap (never by httpx, which inflates without one).
"""

from __future__ import annotations

import itertools

import pytest

from autograder.engine.answers import AnswerSpec, default_host
from autograder.engine.clients import AnswerClient, AnswerRefused

ECHO_AND_COMPRESS = """
import gzip, zlib
from fastapi import FastAPI, Request, Response

app = FastAPI()


@app.get("/headers")
async def headers(request: Request) -> dict:
    return {k: request.headers.get(k, "") for k in ("host", "user-agent", "accept-encoding")}


@app.get("/compressed")
async def compressed(request: Request) -> Response:
    if "gzip" not in request.headers.get("accept-encoding", ""):
        return Response(b'{"plain": true}', media_type="application/json")
    body = gzip.compress(b'{"plain": false}')
    return Response(body, media_type="application/json", headers={"Content-Encoding": "gzip"})


@app.get("/bomb")
async def bomb() -> Response:
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    body = squeeze.compress(bytes(256 * 1024 * 1024)) + squeeze.flush()
    return Response(body, media_type="application/json", headers={"Content-Encoding": "gzip"})
"""


@pytest.fixture(scope="module")
def client():
    answer = default_host().start_answer(AnswerSpec("async-sleep", source=ECHO_AND_COMPRESS))
    assert answer.wait_until_serving(20), answer.report.load_error
    client = AnswerClient(str(answer.socket_path), answer.report)
    yield client
    client.close()
    answer.stop()


def test_requests_in_a_row_carry_several_fingerprints(client):
    seen = [client.get("/headers").json() for _ in range(12)]
    assert all(each["host"] != "testserver" for each in seen), seen
    assert len({each["host"] for each in seen}) == 1  # one per run: links stay comparable
    assert len({each["user-agent"] for each in seen}) >= 3, seen
    assert len({each["accept-encoding"] for each in seen}) >= 2, seen
    for first, second in itertools.pairwise(seen):
        assert first != second, seen  # never twice the same in a row


def test_a_header_the_check_sets_stays(client):
    sent = client.get("/headers", headers={"User-Agent": "mine", "accept-encoding": "identity"})
    assert sent.json()["user-agent"] == "mine"
    assert sent.json()["accept-encoding"] == "identity"


def test_a_compressed_answer_is_inflated_where_the_request_asked_for_it(client):
    bodies = {client.get("/compressed").text for _ in range(12)}
    assert bodies == {'{"plain": true}', '{"plain": false}'}, bodies


def test_compressed_where_the_request_said_identity_is_refused(client):
    with pytest.raises(AnswerRefused, match="though the request said `Accept-Encoding: identity`"):
        client.get("/bomb", headers={"Accept-Encoding": "identity"})


def test_a_body_that_inflates_past_the_cap_is_refused_without_inflating_it(client):
    with pytest.raises(AnswerRefused, match="more than 1 MB"):
        client.get("/bomb", headers={"Accept-Encoding": "gzip"})
