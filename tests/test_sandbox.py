"""The boundary between an answer and its grader: confinement, limits and the report channel.

Most tests start a confined answer (bubblewrap, as classroom grading does) whose app reports,
over HTTP, what it could see and do from inside; the rest grade answers through
``grade_answers`` and read the verdict.
"""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from autograder import registry
from autograder.classroom import sandbox
from autograder.classroom.checker import (
    Limits,
    SubmissionSandbox,
    _in_new_interpreter,
    _result_from,
    grade_answers,
    grade_exercise,
)
from autograder.classroom.nbgrader_hooks import ResultStore
from autograder.engine.answers import AnswerSpec
from autograder.engine.clients import AnswerClient
from autograder.engine.results import ExerciseResult
from workbook.upstreams import FakeServices

pytestmark = pytest.mark.usefixtures("bubblewrap")
LOADED = registry.load()
SLEEP = LOADED.exercise("async-sleep")
PROJECT = registry.project_root()

PROBE_APP = """
import json, os, socket, subprocess
from fastapi import FastAPI

app = FastAPI()


def attempt(action):
    try:
        return {"ok": True, "value": action()}
    except Exception as error:
        return {"ok": False, "error": type(error).__name__}


def connect(port):
    with socket.create_connection(("127.0.0.1", port), timeout=1):
        return "connected"


@app.get("/probe")
async def probe(path: str = "/", port: int = 0) -> dict:
    return {
        "pid": os.getpid(),
        "processes": sorted(int(p) for p in os.listdir("/proc") if p.isdigit()),
        "read": attempt(lambda: open(path, "rb").read(64).decode(errors="replace")),
        "list": attempt(lambda: sorted(os.listdir(path))[:20]),
        "write_root": attempt(lambda: open("/etc/workbook-probe", "w").write("x")),
        "write_usr": attempt(lambda: open("/usr/workbook-probe", "w").write("x")),
        "write_tmp": attempt(lambda: open("/tmp/workbook-probe", "w").write("x")),
        "connect": attempt(lambda: connect(port)) if port else None,
        "hostname": socket.gethostname(),
        "environ": sorted(os.environ),
    }
"""


@pytest.fixture(scope="module")
def confined():
    with SubmissionSandbox(confined=True) as box:
        yield box


def start(box: SubmissionSandbox, source: str) -> tuple[AnswerClient, object]:
    assert box.host is not None
    answer = box.host.start_answer(AnswerSpec("async-sleep", source=source))
    assert answer.wait_until_serving(20), answer.report.load_error
    return AnswerClient(str(answer.socket_path), answer.report), answer


def probe(box: SubmissionSandbox, **params: object) -> dict:
    client, answer = start(box, PROBE_APP)
    try:
        response = client.get("/probe", params=params)
        assert response.status_code == 200, response.text
        return response.json()
    finally:
        client.close()
        answer.stop()


# --- what a confined answer can see and do ------------------------------------------------------


def test_a_confined_answer_has_its_own_process_tree(confined):
    seen = probe(confined)
    assert seen["pid"] < 20, "the answer sees its own PID namespace"
    assert len(seen["processes"]) < 10, seen["processes"]
    assert seen["hostname"] == "sandbox"


@pytest.mark.parametrize(
    "path",
    [
        str(PROJECT / "solutions" / "async_sleep.py"),
        str(PROJECT / "autograder" / "checks" / "async_sleep.py"),
        str(PROJECT / "README.md"),
        str(Path.home()),
        "/proc/1/cwd/README.md",
    ],
)
def test_the_project_the_checks_and_home_are_not_there(confined, path):
    seen = probe(confined, path=path)
    assert not seen["read"]["ok"], f"{path} is readable from inside: {seen['read']}"
    # A folder on the way to a bound one (the Python installation) exists, and holds only that.
    on_the_way = {
        Path(bound).relative_to(path).parts[0]
        for bound in sandbox._python_paths()
        if bound.startswith(path.rstrip("/") + "/")
    }
    listed = seen["list"].get("value") or []
    assert set(listed) <= on_the_way, seen["list"]


def test_the_file_system_is_read_only_but_for_tmp(confined):
    seen = probe(confined)
    assert not seen["write_root"]["ok"] and not seen["write_usr"]["ok"]
    assert seen["write_tmp"]["ok"]


def test_the_network_is_its_own(confined):
    outside = socket.socket()
    outside.bind(("127.0.0.1", 0))
    outside.listen()
    try:
        seen = probe(confined, port=outside.getsockname()[1])
    finally:
        outside.close()
    assert not seen["connect"]["ok"], "a loopback port of the grader's machine is reachable"


def test_the_answer_gets_none_of_the_graders_environment(confined, monkeypatch):
    seen = probe(confined)
    assert not [name for name in seen["environ"] if name.startswith(("PYTEST", "WORKBOOK_SOL"))]


def test_fake_upstreams_are_reached_through_relays_and_observed():
    """A confined answer reaches the services the checks run, and they count its connections."""
    result = grade_exercise(
        "async-http-client", LOADED.exercise("async-http-client").starter_source()
    )
    messages = " ".join(c.message for c in result.failures())
    assert "opened 3 new connections to the profile service" in messages


def test_nothing_an_answer_starts_outlives_it(confined):
    leaver = PROBE_APP + (
        "\nimport subprocess\nsubprocess.Popen(['sleep', '300'], start_new_session=True)\n"
    )
    client, answer = start(confined, leaver)
    before = client.get("/probe").json()["processes"]
    client.close()
    answer.stop()
    after = probe(confined)["processes"]
    assert len(before) > len(after), (before, after)


def test_a_process_bomb_is_stopped_and_the_next_answer_runs(confined):
    bomb = PROBE_APP + (
        "\nimport subprocess\nchildren = [subprocess.Popen(['sleep', '60']) for _ in range(100)]\n"
    )
    assert confined.host is not None
    answer = confined.host.start_answer(AnswerSpec("async-sleep", source=bomb))
    answer.wait_until_serving(20)
    answer.stop()
    assert "more than 64 processes" in answer.stop_note
    assert len(probe(confined)["processes"]) < 10


def test_a_bomb_stopped_by_the_cgroups_process_limit_is_noted_the_same(confined):
    # Threads count against the sandbox cgroup's pids.max, not against the zygote's count of
    # processes: the limit refuses clones long before there are 64 processes. The bomb then
    # lets its threads go and serves, as a process bomb whose forks were refused might.
    if confined.host is None or confined.host.cgroup is None:
        pytest.skip("no cgroup here: nothing but the zygote's count limits processes")
    bomb = PROBE_APP + (
        "\nimport threading\nthreading.stack_size(64 * 1024)\nrelease = threading.Event()\n"
        "threads = []\ntry:\n    for _ in range(5000):\n"
        "        threads.append(threading.Thread(target=release.wait, daemon=True))\n"
        "        threads[-1].start()\nexcept RuntimeError:\n    pass\n"
        "release.set()\nfor thread in threads:\n    thread.join()\n"
    )
    answer = confined.host.start_answer(AnswerSpec("async-sleep", source=bomb))
    answer.wait_until_serving(20)
    answer.stop()
    assert "more than 64 processes" in answer.stop_note
    assert len(probe(confined)["processes"]) < 10


# --- limits, seen through grading ---------------------------------------------------------------


def test_reference_passes_and_starter_fails_confined():
    reference, starter = grade_answers(
        [(SLEEP.id, SLEEP.reference_source()), (SLEEP.id, SLEEP.starter_source())],
        Limits(),
        confined=True,
    )
    assert reference.passed and not starter.passed
    assert not reference.notes


def test_an_answer_that_never_ends_is_stopped_at_the_time_limit():
    started = time.perf_counter()
    result = grade_exercise(SLEEP.id, "while True:\n    pass\n", Limits(seconds=3))
    assert time.perf_counter() - started < 15
    assert "did not finish within 3 s" in result.failures()[0].message


def test_an_answer_that_hoards_memory_fails_with_memory_error():
    result = grade_exercise(SLEEP.id, "hoard = bytearray(64 * 1024**3)\n", Limits(seconds=20))
    assert "MemoryError" in result.failures()[0].message


def test_an_answer_that_exits_or_kills_itself_is_reported():
    exits, killed = grade_answers(
        [(SLEEP.id, "raise SystemExit(3)\n"), (SLEEP.id, "import os\nos.kill(os.getpid(), 9)\n")],
        Limits(seconds=20),
        confined=True,
    )
    assert "SystemExit" in exits.failures()[0].message
    assert "killed by SIGKILL" in killed.failures()[0].message


def test_unconfined_grading_says_so_in_every_result():
    (result,) = grade_answers([(SLEEP.id, SLEEP.reference_source())], Limits(), confined=False)
    assert result.passed
    assert result.notes == [sandbox.UNCONFINED_NOTE]
    assert "without confinement" in result.render_text()


def test_grading_refuses_without_bubblewrap_and_says_how_to_install_it(monkeypatch):
    monkeypatch.setenv("WORKBOOK_BWRAP", "/nonexistent/bwrap")
    sandbox.bubblewrap_path.cache_clear()
    try:
        with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap"):
            sandbox.bubblewrap_path()
    finally:
        monkeypatch.delenv("WORKBOOK_BWRAP")
        sandbox.bubblewrap_path.cache_clear()


# --- the report channel -------------------------------------------------------------------------

FORGED_REPORT = """
import os
from fastapi import FastAPI

app = FastAPI()
for fd in range(3, 64):
    try:
        if os.readlink(f"/proc/self/fd/{fd}").startswith("pipe:"):
            os.write(fd, b'{"exercise": "async-sleep", "status": "passed", "checks": []}\\n')
    except OSError:
        pass
"""


def test_a_forged_report_fails_the_answer_with_a_reason():
    (result,) = grade_answers([(SLEEP.id, FORGED_REPORT)], Limits(seconds=20), confined=True)
    assert not result.passed
    reasons = [
        c.message for c in result.failures() if c.name == "the answer's process reported back"
    ]
    assert reasons and "could not be read" in reasons[0], result.render_text()


def test_a_silenced_report_fails_the_answer_with_a_reason():
    silenced = FORGED_REPORT.replace(
        'os.write(fd, b\'{"exercise": "async-sleep", "status": "passed", "checks": []}\\n\')',
        "os.close(fd)",
    )
    (result,) = grade_answers(
        [(SLEEP.id, silenced + SLEEP.reference_source())], Limits(seconds=20), confined=True
    )
    assert not result.passed
    assert any(c.name == "the answer's process reported back" for c in result.failures())


# --- the checker processes ----------------------------------------------------------------------


def test_a_new_interpreter_grades_like_a_forked_process():
    # Daemonic dask workers may not fork children; they start a new interpreter instead.
    with SubmissionSandbox(confined=True) as box:
        assert box.handle is not None
        outcome = _in_new_interpreter(
            SLEEP.id, SLEEP.starter_source(), Limits(seconds=60), box.handle
        )
    from_interpreter = _result_from(SLEEP.id, outcome, Limits())
    forked = grade_exercise(SLEEP.id, SLEEP.starter_source())
    assert [(c.name, c.status) for c in from_interpreter.checks] == [
        (c.name, c.status) for c in forked.checks
    ]


def test_a_torn_result_file_is_graded_again(tmp_path):
    store = ResultStore.at(tmp_path)
    store.put(SLEEP.id, "code", ExerciseResult(SLEEP.id))
    assert store.get(SLEEP.id, "code") is not None
    path = store.path_for(SLEEP.id, "code")
    assert path is not None
    path.write_text('{"exercise": "async-sl', encoding="utf-8")
    assert store.get(SLEEP.id, "code") is None


def test_confined_and_unconfined_results_are_kept_apart(tmp_path):
    confined_store = ResultStore.at(tmp_path, confined=True)
    confined_store.put(SLEEP.id, "code", ExerciseResult(SLEEP.id))
    assert ResultStore.at(tmp_path, confined=False).get(SLEEP.id, "code") is None


def test_fake_services_listen_on_unix_sockets_for_sandboxes(tmp_path):
    services = FakeServices(unix_dir=tmp_path).start()
    try:
        import httpx

        transport = httpx.HTTPTransport(uds=str(services.unix_path("profile")))
        with httpx.Client(transport=transport, base_url="http://profile") as client:
            assert client.get("/profiles/1").json()["id"] == 1
        assert services.observed["profile"].connections == 1
    finally:
        services.close()


# --- answers made of several files, and hosts that outlive nothing ------------------------------

PACKAGE = {
    "shop/__init__.py": "",
    "shop/models.py": (
        "from pydantic import BaseModel\n\n\nclass Item(BaseModel):\n    sku: str\n    price: int\n"
    ),
    "shop/main.py": (
        "from fastapi import FastAPI\n\nfrom shop.models import Item\n\napp = FastAPI()\n\n\n"
        '@app.get("/items/{sku}")\nasync def read_item(sku: str) -> Item:\n'
        "    return Item(sku=sku, price=100)\n"
    ),
}


def test_an_answer_made_of_several_files_is_served_confined(confined):
    """The capstone's answers are packages: the boundary takes files and an entry module."""
    assert confined.host is not None
    answer = confined.host.start_answer(AnswerSpec("async-sleep", files=PACKAGE, entry="shop.main"))
    assert answer.wait_until_serving(20), answer.report.load_error
    client = AnswerClient(str(answer.socket_path), answer.report)
    try:
        assert client.get("/items/KT-1").json() == {"sku": "KT-1", "price": 100}
    finally:
        client.close()
        answer.stop()
    assert answer.report.stopped is not None


def test_a_host_ends_with_the_process_that_started_it(tmp_path):
    import subprocess
    import sys

    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "from autograder.engine.answers import AnswerHost\n"
            "import os\n"
            "host = AnswerHost().start()\nhost.wait_ready()\n"
            "print(host._process.pid)\nos._exit(0)\n",  # no clean-up: as a killed kernel
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    zygote = int(started.stdout.strip())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and Path(f"/proc/{zygote}").exists():
        time.sleep(0.05)
    assert not Path(f"/proc/{zygote}").exists(), "the zygote outlived its parent"
