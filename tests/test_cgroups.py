"""Kernel-enforced shares: a cgroup per sandbox and per checker (autograder.classroom.cgroups)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from autograder.classroom import cgroups, checker
from autograder.engine.results import CheckResult, ExerciseResult
from tests.conftest import in_ci

PYTHON = sys.executable


@pytest.fixture(scope="module")
def hierarchy() -> Iterator[cgroups.Hierarchy]:
    """This test process's own parent group (removed at the end), as grading makes it."""
    try:
        found = cgroups.detect()
    except cgroups.CgroupsUnavailable as error:
        # CI runs as root with writable hierarchies (.ci/run): there this is a broken set-up.
        if in_ci():
            pytest.fail(f"cgroups unavailable: {error}", pytrace=False)
        pytest.skip(f"cgroups unavailable here: {error}")
    yield found
    found.remove()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child of ours stays a zombie until reaped: that is not running.
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ", 1)[1][0] != "Z"


def wait_until(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


# --- limits --------------------------------------------------------------------------------------


def test_a_group_gets_its_cpu_weight_memory_and_process_limits(hierarchy):
    share = cgroups.Share(cpu_weight=50, cpus=0.5, memory_mb=64, max_processes=20)
    group = hierarchy.new_group("sandbox", share)
    try:
        if group.version == 1:
            assert (group.cpu_folder / "cpu.shares").read_text().strip() == "512"
            assert (group.cpu_folder / "cpu.cfs_period_us").read_text().strip() == "100000"
            assert (group.cpu_folder / "cpu.cfs_quota_us").read_text().strip() == "50000"
            memory = group.memory_folder / "memory.limit_in_bytes"
            assert int(memory.read_text()) == 64 * 1024 * 1024
            swap = group.memory_folder / "memory.memsw.limit_in_bytes"
            if swap.exists():
                assert int(swap.read_text()) == 64 * 1024 * 1024
            pids = hierarchy.parents["pids"] / group.name / "pids.max"
        else:
            folder = group.folders[0]
            assert (folder / "cpu.weight").read_text().strip() == "50"
            assert (folder / "cpu.max").read_text().split() == ["50000", "100000"]
            assert int((folder / "memory.max").read_text()) == 64 * 1024 * 1024
            pids = folder / "pids.max"
        assert pids.read_text().strip() == "20"
    finally:
        group.remove()
    assert not any(folder.exists() for folder in group.folders)


def test_limits_are_written_in_a_v2_hierarchy_too(tmp_path):
    """cgroup v2's files, on a fake unified hierarchy (this machine has v1)."""
    unified = tmp_path / "unified"
    unified.mkdir()
    (unified / "cgroup.controllers").write_text("cpuset cpu io memory pids\n")
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "mountinfo").write_text(
        f"41 31 0:38 / {unified} rw,relatime - cgroup2 cgroup2 rw\n"
    )
    (proc / "self" / "cgroup").write_text("0::/\n")
    found = cgroups.detect(proc, pid=4242)
    assert found.version == 2
    assert found.parents[""] == unified / "workbook-4242"
    assert (unified / "cgroup.subtree_control").read_text() == "+cpu +memory +pids"
    group = found.new_group("checker", cgroups.Share(cpu_weight=100, cpus=2, memory_mb=1024))
    folder = group.folders[0]
    assert (folder / "cpu.weight").read_text() == "100"
    assert (folder / "cpu.max").read_text() == "200000 100000"
    assert (folder / "memory.max").read_text() == str(1024 * 1024 * 1024)
    assert not (folder / "pids.max").exists()  # no limit asked: the parent's holds


# --- joining, leaving, killing -------------------------------------------------------------------

FORKS_AND_SETSID = """
import os, time
child = os.fork()
if child == 0:
    os.setsid()  # a session of its own: outside the parent's process group and session
    grandchild = os.fork()
    if grandchild == 0:
        time.sleep(120)
        os._exit(0)
    print(os.getpid(), grandchild, flush=True)
    time.sleep(120)
    os._exit(0)
time.sleep(120)
"""


def test_join_command_puts_the_process_and_all_it_forks_inside_and_remove_kills_them(hierarchy):
    group = hierarchy.new_group("sandbox", cgroups.Share(max_processes=64))
    started = subprocess.Popen(
        group.join_command([PYTHON, "-c", FORKS_AND_SETSID]), stdout=subprocess.PIPE, text=True
    )
    try:
        child, grandchild = (int(pid) for pid in started.stdout.readline().split())
        everyone = {started.pid, child, grandchild}
        # The shell that joins execs the command: its pid is the command's.
        assert wait_until(lambda: everyone <= group.pids()), (everyone, group.pids())
        assert os.getsid(child) != os.getsid(started.pid)  # setsid left the session, not the group
        group.remove()
        assert wait_until(lambda: not any(alive(pid) for pid in everyone))
        assert not any(folder.exists() for folder in group.folders)
    finally:
        started.kill()
        started.wait()
        group.remove()


def test_a_command_that_cannot_join_its_group_never_runs(hierarchy, tmp_path):
    group = hierarchy.new_group("sandbox", cgroups.Share())
    marker = tmp_path / "ran"
    command = group.join_command([PYTHON, "-c", f"open({str(marker)!r}, 'w')"])
    group.remove()  # its cgroup.procs files are gone
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    assert finished.returncode == 125
    assert "could not join the cgroup" in finished.stderr
    assert not marker.exists()


def test_groups_left_by_a_creator_that_died_are_reaped(hierarchy):
    dead = subprocess.Popen([PYTHON, "-c", "pass"])
    dead.wait()  # its pid now names nobody
    name = f"checker-{dead.pid}-1-abcdef"
    orphan = hierarchy._group(name)
    for folder in orphan.folders:
        folder.mkdir()
    left = subprocess.Popen(orphan.join_command(["sleep", "120"]))
    try:
        assert wait_until(lambda: left.pid in orphan.pids())
        mine = hierarchy.new_group("checker", cgroups.Share())  # reaps before it makes its own
        assert wait_until(lambda: left.poll() is not None)
        assert not any(folder.exists() for folder in orphan.folders)
        assert all(folder.exists() for folder in mine.folders)  # its creator (us) is alive
        mine.remove()
    finally:
        left.kill()
        left.wait()


FORK_BOMB = """
import os, sys, time
born = 0
for _ in range(400):  # bounded, so that a missing limit cannot take the machine
    try:
        pid = os.fork()
    except BlockingIOError:
        print(f"refused after {born}", flush=True)
        break
    if pid == 0:
        os.close(1)  # the test reads the bomb's output until every writer has gone
        os.close(2)
        time.sleep(60)
        os._exit(0)
    born += 1
else:
    print(f"never refused: {born}", flush=True)
"""


def test_a_fork_bomb_in_a_sandbox_group_stops_at_its_process_limit(hierarchy):
    group = hierarchy.new_group("sandbox", cgroups.Share(max_processes=30))
    try:
        finished = subprocess.run(
            group.join_command([PYTHON, "-c", FORK_BOMB]),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        print(finished.stdout.strip())  # noqa: T201 (shown with -s)
        assert finished.stdout.startswith("refused after "), finished.stdout + finished.stderr
        born = int(finished.stdout.split()[-1])
        assert born < 30  # the bomb itself counts, and its interpreter's threads
        assert len(group.pids()) <= 30
    finally:
        group.remove()
    assert not group.pids()


# --- finding a hierarchy, or saying why not ------------------------------------------------------


def fake_proc(tmp_path: Path, mountinfo: str, cgroup: str = "0::/\n1:cpu:/\n") -> Path:
    proc = tmp_path / "proc"
    (proc / "self").mkdir(parents=True)
    (proc / "self" / "mountinfo").write_text(mountinfo)
    (proc / "self" / "cgroup").write_text(cgroup)
    return proc


def test_no_cgroup_mount_at_all_is_refused_with_both_reasons(tmp_path):
    proc = fake_proc(tmp_path, "22 1 0:21 / /proc rw,relatime - proc proc rw\n")
    with pytest.raises(cgroups.CgroupsUnavailable) as refused:
        cgroups.detect(proc)
    assert str(refused.value) == (
        "v2: no writable unified hierarchy; v1: no writable hierarchy for cpu, memory, pids"
    )


def test_read_only_hierarchies_are_refused(tmp_path):
    lines = "".join(
        f"3{n} 31 0:2{n} / {tmp_path}/{c} ro,relatime - cgroup cgroup rw,{c}\n"
        for n, c in enumerate(["cpu", "memory", "pids"])
    )
    proc = fake_proc(tmp_path, lines, "3:pids:/\n2:memory:/\n1:cpu:/\n")
    with pytest.raises(cgroups.CgroupsUnavailable, match="v1: no writable hierarchy for cpu"):
        cgroups.detect(proc)


def test_a_v1_machine_without_a_pids_hierarchy_says_which_is_missing(tmp_path):
    lines = "".join(
        f"3{n} 31 0:2{n} / {tmp_path}/{c} rw,relatime - cgroup cgroup rw,{c}\n"
        for n, c in enumerate(["cpu", "memory"])
    )
    proc = fake_proc(tmp_path, lines, "2:memory:/\n1:cpu:/\n")
    with pytest.raises(cgroups.CgroupsUnavailable, match=r"v1: no writable hierarchy for pids$"):
        cgroups.detect(proc)


def test_a_v2_hierarchy_without_the_controllers_falls_back_to_v1_and_says_why(tmp_path):
    unified = tmp_path / "unified"
    unified.mkdir()
    (unified / "cgroup.controllers").write_text("cpuset io\n")
    proc = fake_proc(tmp_path, f"41 31 0:38 / {unified} rw,relatime - cgroup2 cgroup2 rw\n")
    with pytest.raises(cgroups.CgroupsUnavailable) as refused:
        cgroups.detect(proc)
    assert f"v2: the unified hierarchy at {unified} lacks cpu, memory, pids" in str(refused.value)
    assert "v1: no writable hierarchy for cpu, memory, pids" in str(refused.value)


AVAILABILITY = (
    "from autograder.classroom import cgroups; "
    "print(cgroups.availability_line()); print(cgroups.new_group('sandbox', cgroups.Share()))"
)


def test_workbook_no_cgroups_switches_them_off_and_the_line_says_so():
    environment = {**os.environ, "WORKBOOK_NO_CGROUPS": "1"}
    finished = subprocess.run(
        [PYTHON, "-c", AVAILABILITY], env=environment, capture_output=True, text=True, check=True
    )
    line, group = finished.stdout.splitlines()
    assert line.startswith("WARNING: cgroups could not be used here (switched off by "
                           "WORKBOOK_NO_CGROUPS)")  # fmt: skip
    assert "an answer that starts many sessions can slow the answers graded beside it" in line
    assert group == "None"


def test_the_availability_line_names_the_hierarchies_that_confine(hierarchy):
    environment = {k: v for k, v in os.environ.items() if k != "WORKBOOK_NO_CGROUPS"}
    finished = subprocess.run(
        [PYTHON, "-c", AVAILABILITY], env=environment, capture_output=True, text=True, check=True
    )
    line, group = finished.stdout.splitlines()
    assert line.startswith(
        f"fair shares: a cgroup (v{hierarchy.version}) per sandbox and per checker, below "
    )
    assert "/sys/fs/cgroup" in line
    assert group.startswith("Group(name='sandbox-")


def test_results_graded_without_cgroups_say_so(monkeypatch):
    """Each confined result carries the reason when cgroups could not be had."""

    class NoSandbox:
        handle = object()
        host = None

        def __init__(self, confined: bool) -> None:
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pass

        def restart(self) -> None:
            pass

    passed = ExerciseResult("async-sleep", [CheckResult("x", "async-1", "", "passed")])
    monkeypatch.setattr(checker, "SubmissionSandbox", NoSandbox)
    monkeypatch.setattr(
        checker, "_check_in_fresh_process", lambda *args: ("result", passed.to_json())
    )
    monkeypatch.setattr(cgroups, "hierarchy", lambda: None)
    monkeypatch.setattr(cgroups, "why_not", lambda: "v1: no writable hierarchy for pids")
    [result] = checker.grade_answers([("async-sleep", "x = 1")], checker.Limits(), confined=True)
    assert result.passed
    assert result.notes == [
        cgroups.UNAVAILABLE_NOTE.format(reason="v1: no writable hierarchy for pids")
    ]
    assert json.dumps(result.to_json())  # and it travels back from a worker like any note
