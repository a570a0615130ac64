"""``served_over = "tcp"``: an exercise whose app must decide alone whom to believe.

By default the checks reach an app over a Unix socket, and uvicorn runs with its own defaults:
``proxy_headers=True`` applies X-Forwarded-Proto and X-Forwarded-For sent from 127.0.0.1
before the app sees the request, and every answer says ``server: uvicorn``. For
sec-https-proxy that would do the learner's work: its starter, which has no proxy layer, would
see the proxy's https requests as https. Served over TCP, uvicorn trusts nobody and names
nobody, and the checks connect from two loopback addresses, the proxy's and a stranger's.
"""

from __future__ import annotations

import socket

import pytest

from autograder import registry
from autograder.classroom.checker import Limits, SubmissionSandbox, grade_answers
from autograder.engine.answers import AnswerHost, AnswerSpec, RunningAnswer, default_host
from autograder.engine.plugin import TcpAnswerClient

HTTPS = registry.load().exercise("sec-https-proxy")
ENV_FILE = "".join(f"{name}={value}\n" for name, value in HTTPS.env_file)
# What uvicorn hands the app, untouched by any proxy layer of the app's own.
PEER_APP = """
from fastapi import FastAPI, Request

app = FastAPI()

@app.get("/peer")
async def peer(request: Request) -> dict:
    return {"scheme": request.url.scheme, "client": request.client.host}
"""
PROXIED_HTTPS = {
    "Host": "api.example.com",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-For": "203.0.113.7",
}


def serve(host: AnswerHost, source: str, served_over: str = "") -> RunningAnswer:
    """``source`` as the exercise's answer; ``served_over="unix"`` with a TCP socket handed in
    is the host's default uvicorn options on TCP (as ``serve()`` runs an app for the learner)."""
    listening = None
    if served_over == "unix":
        listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listening.bind(("127.0.0.1", 0))
        listening.listen(16)
    spec = AnswerSpec(HTTPS.id, source=source, env_file=ENV_FILE, served_over=served_over)
    answer = host.start_answer(spec, listening=listening)
    assert answer.wait_until_serving(20), answer.report.load_error
    return answer


def test_only_the_proxy_exercise_is_served_over_tcp():
    over_tcp = [e.id for e in registry.load().exercises if e.served_over == "tcp"]
    assert "sec-https-proxy" in over_tcp
    assert all(e.served_over in registry.SERVED_OVER for e in registry.load().exercises)
    other = registry.load().exercise("async-sleep")
    answer = default_host().start_answer(AnswerSpec(other.id, source=PEER_APP))
    try:
        assert answer.wait_until_serving(20)
        assert answer.url == "" and answer.socket_path.exists()  # a Unix socket, as before
    finally:
        answer.stop()


def test_the_starter_would_pass_under_uvicorns_defaults_and_fails_under_the_setting():
    """The reason for the setting: uvicorn's own proxy handling does the starter's work."""
    seen = {}
    for mode in ("unix", ""):
        answer = serve(default_host(), HTTPS.starter_source(), mode)
        client = TcpAnswerClient(answer.url, answer.report)
        try:
            response = client.get("/whoami", headers=PROXIED_HTTPS)
            seen[mode] = (response.status_code, response.headers.get("server"))
        finally:
            client.close()
            answer.stop()
    assert seen["unix"] == (200, "uvicorn")  # believed by uvicorn: the flaw hidden
    assert seen[""] == (307, None)  # the app alone decides: it redirects forever


def check_peers(host: AnswerHost) -> None:
    answer = serve(host, PEER_APP)
    proxy = TcpAnswerClient(answer.url, answer.report)
    stranger = proxy.peer("127.0.0.2")
    try:
        for client, address in ((proxy, "127.0.0.1"), (stranger, "127.0.0.2")):
            response = client.get("/peer", headers=PROXIED_HTTPS)
            assert response.status_code == 200, response.text
            # Nothing applied the headers: the app sees the connection as it came.
            assert response.json() == {"scheme": "http", "client": address}
            assert "server" not in response.headers
    finally:
        proxy.close()
        answer.stop()


def test_the_app_sees_the_proxy_and_the_stranger_by_their_addresses():
    check_peers(default_host())


@pytest.mark.usefixtures("bubblewrap")
def test_a_confined_answer_is_served_over_tcp_too():
    with SubmissionSandbox(confined=True) as box:
        assert box.host is not None
        check_peers(box.host)


@pytest.mark.usefixtures("bubblewrap")
def test_grading_confined_scores_the_reference_full_and_the_starter_not():
    reference, starter = grade_answers(
        [(HTTPS.id, HTTPS.reference_source()), (HTTPS.id, HTTPS.starter_source())],
        Limits(),
        confined=True,
    )
    assert reference.passed, [check.message for check in reference.failures()]
    assert not reference.notes
    assert not starter.passed
