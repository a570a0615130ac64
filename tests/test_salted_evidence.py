"""Evidence an answer cannot imitate or recognise.

- The fake services answer with data drawn from a seed that only the checks' process holds,
  anew for every run: the data an answer can import (the demo's) is wrong wherever a check
  compares it, and the reference, which asks its services as an answer does, agrees with them.
- A request from the checks reaches the app as a client's would: no header of the workbook's,
  a client address as over TCP.
- A confined answer cannot give its data folder back the read bit, nor read it from a user
  namespace of its own, so it never finds a database a check made for another answer.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest

from autograder import registry
from autograder.classroom.checker import SubmissionSandbox, grade_exercise
from autograder.engine.answers import AnswerSpec, default_host
from autograder.engine.clients import AnswerClient
from workbook import upstreams
from workbook.host.protocol import APP_CHOICE_HEADER, REQUEST_ID_HEADER
from workbook.upstreams import DEMO_DATA, KNOWN_USERS, SENTIMENT_WORDS, FakeServices, ServiceData

LOADED = registry.load()
ATTACKS = Path(__file__).parent / "attacks"


# --- the services' data --------------------------------------------------------------------------


def test_salted_data_differs_from_the_demo_wherever_a_check_compares_it():
    for _ in range(20):
        salted = ServiceData.salted()
        for user_id in range(1, 40):
            assert salted.profile_of(user_id) != DEMO_DATA.profile_of(user_id)
        for word in SENTIMENT_WORDS:
            weight, demo = salted.sentiment_weights[word], DEMO_DATA.sentiment_weights[word]
            assert weight != demo and (weight > 0) == (demo > 0)
            assert 0.25 <= abs(weight) <= 4.0 and (weight * 64).is_integer()
        assert salted.reply_tokens("hello there") != DEMO_DATA.reply_tokens("hello there")
        assert salted.geo_point_of("1 Main Street") != DEMO_DATA.geo_point_of("1 Main Street")
    prices = [ServiceData.salted().price_of("TEA-1", "ada") for _ in range(30)]
    assert len(set(prices)) > 20 and all(500 <= p < 5500 for p in prices)


def test_the_demo_data_is_the_same_in_every_process_and_salted_data_never_repeats():
    assert ServiceData() == DEMO_DATA and ServiceData().price_of("A", "b") == DEMO_DATA.price_of(
        "A", "b"
    )
    assert DEMO_DATA.profile_of(KNOWN_USERS + 1) is None
    assert ServiceData.salted().seed != ServiceData.salted().seed
    assert "".join(DEMO_DATA.reply_tokens("hi")) == "You said: hi"


def test_a_sum_of_salted_weights_is_exact_in_any_order():
    data = ServiceData.salted()
    words = list(SENTIMENT_WORDS) * 3
    assert data.sentiment_of(" ".join(words)) == data.sentiment_of(" ".join(reversed(words)))


def test_the_services_answer_with_this_runs_data_and_a_reset_draws_new_data():
    services = FakeServices().start()
    try:
        first = services.data
        price = httpx.get(f"{services.url('pricing')}/v1/price", params={"sku": "S", "user": "u"})
        assert price.json()["cents"] == first.price_of("S", "u")
        model = httpx.get(f"{services.url('models')}/v1/models/sentiment")
        assert model.json()["weights"] == first.sentiment_weights
        profile = httpx.get(f"{services.url('profile')}/profiles/3")
        assert profile.json() == first.profile_of(3).model_dump()
        services.reset()
        assert services.data != first
        again = httpx.get(f"{services.url('models')}/v1/models/sentiment")
        assert again.json()["weights"] == services.data.sentiment_weights != first.sentiment_weights
    finally:
        services.close()


def test_the_process_own_services_answer_the_demo_and_trusted_code_gets_the_runs_data():
    learner = FakeServices().start()
    try:
        demo = httpx.get(f"{upstreams.pricing_service_url()}/v1/price?sku=S&user=u").json()
        assert demo["cents"] == DEMO_DATA.price_of("S", "u")
        with upstreams.trusted_services_like(learner) as trusted:
            url = upstreams.pricing_service_url()
            assert url not in (learner.url("pricing"), upstreams._local_services().url("pricing"))
            said = httpx.get(f"{url}/v1/price", params={"sku": "S", "user": "u"}).json()
            assert said["cents"] == learner.data.price_of("S", "u")
            assert trusted.price_lookups[("S", "u")] == 1
            assert learner.price_lookups[("S", "u")] == 0  # not counted as the learner's
        assert upstreams.pricing_service_url() == upstreams._local_services().url("pricing")
    finally:
        learner.close()


def test_no_seed_reaches_an_answer():
    """The answer's command holds the services' addresses, never their data's seed."""
    from autograder.engine.runner import _spec

    services = FakeServices().start()
    try:
        spec = _spec(LOADED.exercise("perf-cache"), "", default_host(), services)
        sent = json.dumps([spec.env, spec.relays, spec.overrides, spec.env_file])
        assert services.data.seed.hex() not in sent
        assert not re.search(r"seed|salt", sent, re.IGNORECASE)
    finally:
        services.close()


# --- requests as a client sends them ----------------------------------------------------------

TELLS_THE_CHECKER_APART = """
from fastapi import FastAPI, Request

def create_app():
    app = FastAPI()

    @app.get("/who")
    async def who(request: Request) -> dict:
        names = [name.lower() for name in request.headers]
        return {
            "checked": any(name.startswith("x-workbook") for name in names),
            "headers": names,
            "client": request.client.host if request.client else None,
        }

    return app

app = create_app()
"""


@pytest.mark.parametrize("copies", [1, 2])
def test_an_app_that_looks_for_the_checks_cannot_tell(copies):
    spec = AnswerSpec("state-app-factory", source=TELLS_THE_CHECKER_APART)
    if copies > 1:
        spec.factory, spec.copies = "create_app", copies
    answer = default_host().start_answer(spec)
    assert answer.wait_until_serving(20), answer.report.load_error
    client = AnswerClient(str(answer.socket_path), answer.report)
    try:
        seen = [
            client.get("/who").json(),
            client.get("/who", headers={APP_CHOICE_HEADER: str(copies)}).json(),
            client.concurrently([("GET", "/who", {})])[0][0].response.json(),
        ]
        for what in seen:
            assert not what["checked"], what
            assert REQUEST_ID_HEADER not in what["headers"]
            assert what["client"] == "127.0.0.1"
    finally:
        client.close()
        answer.stop()


def test_the_report_still_names_the_request_that_failed():
    failing = (
        "from fastapi import FastAPI\napp = FastAPI()\n\n"
        "@app.get('/boom')\nasync def boom():\n    raise ValueError('boom')\n"
    )
    answer = default_host().start_answer(AnswerSpec("async-sleep", source=failing))
    assert answer.wait_until_serving(20), answer.report.load_error
    client = AnswerClient(str(answer.socket_path), answer.report)
    try:
        response = client.get("/boom")
        assert response.status_code == 500
        error = response.extensions.get("workbook_error")
        assert error is not None and error.type == "ValueError"
    finally:
        client.close()
        answer.stop()


# --- the data folder, confined ------------------------------------------------------------------

LOOKS_AROUND = """
import ctypes, os, subprocess
from fastapi import FastAPI

app = FastAPI()
MINE = os.environ["DATABASE_URL"].split("///", 1)[-1]
DATA = os.path.dirname(os.path.dirname(MINE))


def attempt(action):
    try:
        action()
        return "done"
    except Exception as error:
        return type(error).__name__


def run(*command):
    done = subprocess.run(list(command), capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(done.stderr)


libc = ctypes.CDLL(None, use_errno=True)
THREAD = "import threading; t = threading.Thread(target=print); t.start(); t.join()"


def raw_fchmodat():
    if libc.syscall(268, -100, DATA.encode(), 0o700, 0) != 0:
        raise OSError(ctypes.get_errno(), "fchmodat")


def trace_zygote():
    PTRACE_ATTACH = 16
    if libc.ptrace(PTRACE_ATTACH, os.getppid(), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "ptrace")


@app.get("/look")
async def look() -> dict:
    return {
        "write_own": attempt(lambda: open(os.path.dirname(MINE) + "/mine.txt", "w").write("x")),
        "chmod": attempt(lambda: os.chmod(DATA, 0o700)),
        "raw_fchmodat": attempt(raw_fchmodat),
        "chmod_command": attempt(lambda: run("chmod", "700", DATA)),
        "user_namespace": attempt(lambda: run("unshare", "-r", "ls", DATA)),
        "list": attempt(lambda: os.listdir(DATA)),
        "zygote_memory": attempt(lambda: open(f"/proc/{os.getppid()}/mem", "r+b").close()),
        "trace_zygote": attempt(trace_zygote),
        "threads": attempt(lambda: run("python3", "-c", THREAD)),
    }
"""


@pytest.mark.usefixtures("bubblewrap")
def test_a_confined_answer_cannot_make_its_data_folder_listable():
    with SubmissionSandbox(confined=True) as box:
        assert box.host is not None
        here, there = box.host.data_folder()
        other_here, _ = box.host.data_folder()
        (other_here / "other.sqlite3").write_bytes(b"")
        spec = AnswerSpec("di-database-session", source=LOOKS_AROUND)
        spec.env["DATABASE_URL"] = f"sqlite+aiosqlite:///{there}/library.sqlite3"
        answer = box.host.start_answer(spec)
        assert answer.wait_until_serving(20), answer.report.load_error
        client = AnswerClient(str(answer.socket_path), answer.report)
        try:
            seen = client.get("/look").json()
        finally:
            client.close()
            answer.stop()
        assert seen["write_own"] == "done" and seen["threads"] == "done", seen
        assert seen["chmod"] == "PermissionError", seen
        assert seen["raw_fchmodat"] == "PermissionError", seen
        assert seen["chmod_command"] == "RuntimeError", seen
        assert seen["user_namespace"] == "RuntimeError", seen
        assert seen["list"] == "PermissionError", seen
        assert seen["trace_zygote"] == "PermissionError", seen
        assert seen["zygote_memory"] == "PermissionError", seen
        assert (here.parent.stat().st_mode & 0o777) == 0o300


# --- the attacks, graded confined ---------------------------------------------------------------

OWN_ATTACKS = sorted(ATTACKS.glob("evidence_imitated__*.py"))


def _exercise_of(path: Path) -> str:
    line = next(x for x in path.read_text().splitlines() if x.startswith("# exercise:"))
    return line.removeprefix("# exercise:").strip()


@pytest.mark.usefixtures("bubblewrap")
@pytest.mark.parametrize("path", OWN_ATTACKS, ids=lambda path: path.stem)
def test_an_answer_that_imitates_the_evidence_fails(path):
    result = grade_exercise(_exercise_of(path), path.read_text(encoding="utf-8"))
    assert not result.passed, [row.name for row in result.checks if row.status != "passed"]
    assert any(row.status == "failed" and row.kind != "static" for row in result.checks), (
        "the behaviour itself must fail, not only the static review"
    )
