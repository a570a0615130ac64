"""Kernel-enforced shares for classroom grading: a cgroup per sandbox and per checker.

Without cgroups, the kernel shares the CPU between sessions (autogroup), and an answer that puts
each of its processes in a session of its own takes as many shares as it has processes: beside
it, a classmate's correct answer was once too slow to finish. Here every sandbox (all that one
submission's answers start) and every checker gets a group of its own under one parent group
per grading process, ``workbook-<pid>``, with

- an equal CPU weight (v1 ``cpu.shares``, v2 ``cpu.weight``), and a ceiling in CPUs (CFS quota:
  v1 ``cpu.cfs_quota_us``, v2 ``cpu.max``), whatever the group does with sessions;
- a memory limit for the whole group (v1 ``memory.limit_in_bytes`` and the same for memory plus
  swap, v2 ``memory.max`` and no swap);
- a process limit (v1/v2 ``pids.max``), so a fork bomb stops at the limit instead of the machine's.

cgroup v2 is used where the unified hierarchy offers the ``cpu``, ``memory`` and ``pids``
controllers and this process may delegate them; otherwise the v1 hierarchies of those controllers
(``cpuacct`` too, for accounting, where it is mounted). A process joins its group before it runs
anything untrusted: a sandbox's ``bwrap`` is started through ``Group.join_command``, a shell that
writes its own pid into the group and only then executes bubblewrap, so whatever bubblewrap
forks is born inside. Groups are removed when their sandbox or checker ends (what is left in one
is killed first), and groups left by a crashed run (their creator's pid is gone) are removed the
next time a parent group is made.

Why a module of our own: the Python libraries for cgroups each miss a part of this. ``cgroupspy``
speaks v1 only; ``libcgroup``'s bindings need the C library and were last released in 2019;
systemd's transient scopes (``systemd-run``, ``pystemd``) need a running systemd, which CI and
containers do not have. What grading needs is a few files written under ``/sys/fs/cgroup``.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import itertools
import os
import re
import secrets
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

V1_CONTROLLERS = ("cpu", "memory", "pids")  # required; cpuacct is used where it is mounted
V2_CONTROLLERS = ("cpu", "memory", "pids")
PARENT_PREFIX = "workbook-"
CFS_PERIOD_US = 100_000
V1_DEFAULT_SHARES = 1024  # what weight 100 (v2's default) is in v1's units
KILL_SECONDS = 5.0
_PARENT_NAME = re.compile(rf"^{PARENT_PREFIX}(\d+)$")
_CHILD_NAME = re.compile(r"^[a-z]+-(\d+)-\d+-[0-9a-f]+$")  # kind-creatorpid-n-random


class CgroupsUnavailable(RuntimeError):
    """cgroups cannot be had here (not root, read-only, controllers missing); says which."""


@dataclass(frozen=True)
class Share:
    """What one group may use. None: no limit of that kind beyond its parent's."""

    cpu_weight: int = 100  # relative to other groups, v2's scale (1 to 10000; 100 is normal)
    cpus: float | None = None  # at most this many CPUs' worth of time, however many processes
    memory_mb: int | None = None  # for all of the group's processes together, no swap
    max_processes: int | None = None


@dataclass(frozen=True)
class Group:
    """One cgroup: a folder per hierarchy (v1) or one folder (v2)."""

    name: str
    version: int
    folders: tuple[Path, ...]  # v1: one per mounted hierarchy, cpu's first; v2: one
    cpu_folder: Path
    memory_folder: Path
    accounting_folder: Path | None  # v1 cpuacct (None where not mounted); v2 the folder itself

    @property
    def procs_files(self) -> list[Path]:
        return [folder / "cgroup.procs" for folder in self.folders]

    def add(self, pid: int) -> None:
        """Move ``pid`` (all its threads) into this group, in every hierarchy."""
        for procs in self.procs_files:
            procs.write_text(f"{pid}\n")

    def join_command(self, command: list[str]) -> list[str]:
        """``command`` run by a shell that first moves itself into this group: nothing the
        command starts is ever outside it (no window in which it could fork away)."""
        script = (
            'n=$1; shift; while [ "$n" -gt 0 ]; do '
            'echo $$ > "$1" || { echo "could not join the cgroup $1" >&2; exit 125; }; '
            "shift; n=$((n-1)); done; "
            # The group's pids.events, open on a free descriptor the command inherits: a
            # sandbox's zygote sees no /sys, and reads there the forks the group's limit refused.
            'events=$1; shift; if [ -n "$events" ]; then for fd in 9 8 7 6 5 4 3; do '
            r'if [ ! -e /proc/self/fd/$fd ]; then eval "exec $fd<\"\$events\"" || true; break; '
            'fi; done; fi; exec "$@"'
        )
        files = [str(path) for path in self.procs_files]
        events = next(
            (str(f / "pids.events") for f in self.folders if (f / "pids.events").exists()), ""
        )
        return ["/bin/sh", "-c", script, "join-cgroup", str(len(files)), *files, events, *command]

    def pids(self) -> set[int]:
        found: set[int] = set()
        for folder in self.folders:
            for procs in _procs_files_below(folder):
                with contextlib.suppress(OSError, ValueError):
                    found.update(int(line) for line in procs.read_text().split())
        return found

    def cpu_seconds(self) -> float:
        """CPU time used by the group's processes so far (all of them, children included)."""
        if self.version == 2:
            return _stat_value(self.cpu_folder / "cpu.stat", "usage_usec") / 1e6
        if self.accounting_folder is None:
            return 0.0
        return _read_int(self.accounting_folder / "cpuacct.usage") / 1e9

    def throttled_seconds(self) -> float:
        """Time the group was held back by its CPU ceiling: its own processes wanted more."""
        if self.version == 2:
            return _stat_value(self.cpu_folder / "cpu.stat", "throttled_usec") / 1e6
        return _stat_value(self.cpu_folder / "cpu.stat", "throttled_time") / 1e9

    def memory_peak_bytes(self) -> int:
        name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        return _read_int(self.memory_folder / name)

    def oom_kills(self) -> int:
        if self.version == 2:
            return _stat_value(self.memory_folder / "memory.events", "oom_kill")
        return _stat_value(self.memory_folder / "memory.oom_control", "oom_kill")

    def kill(self) -> None:
        """SIGKILL everything in the group (and groups below it), until it is empty."""
        kill_file = self.cpu_folder / "cgroup.kill"
        if self.version == 2 and kill_file.exists():
            with contextlib.suppress(OSError):
                kill_file.write_text("1")
        deadline = time.monotonic() + KILL_SECONDS
        while (left := self.pids() - {os.getpid()}) and time.monotonic() < deadline:
            for pid in left:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def remove(self) -> None:
        """Kill what is left, then remove the group's folders (deepest first)."""
        self.kill()
        for folder in self.folders:
            _remove_tree(folder)


@dataclass
class Hierarchy:
    """Where this process makes its groups: its parent group, ``workbook-<pid>``, in each
    hierarchy, below the group this process was started in (so that any limit set for the
    grader holds for its sandboxes too)."""

    version: int
    parents: dict[str, Path]  # controller (v1) or "" (v2) -> the parent group's folder
    owner: bool  # made by this process (removed when it exits) or inherited from a grader
    shown: dict[str, Path] = field(default_factory=dict)  # the folders' own paths, for messages
    _counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def new_group(self, kind: str, share: Share) -> Group:
        """A new group below the parent, its limits set, nobody in it yet."""
        self.reap_orphans()
        name = f"{kind}-{os.getpid()}-{next(self._counter)}-{secrets.token_hex(3)}"
        group = self._group(name)
        for folder in group.folders:
            folder.mkdir()
        try:
            self._set_limits(group, share)
        except OSError:
            group.remove()
            raise
        return group

    def reap_orphans(self) -> None:
        """Remove groups whose creator has ended (a checker killed at its time limit)."""
        for parent in self.parents.values():
            for child in _subfolders(parent):
                match = _CHILD_NAME.match(child.name)
                if match and not _alive(int(match.group(1))):
                    self._group(child.name).remove()

    def _group(self, name: str) -> Group:
        if self.version == 2:
            folder = self.parents[""] / name
            return Group(name, 2, (folder,), folder, folder, folder)
        folders = {controller: parent / name for controller, parent in self.parents.items()}
        ordered = tuple(dict.fromkeys(folders.values()))  # co-mounted controllers share one
        return Group(name, 1, ordered, folders["cpu"], folders["memory"], folders.get("cpuacct"))

    def _set_limits(self, group: Group, share: Share) -> None:
        if self.version == 2:
            folder = group.folders[0]
            (folder / "cpu.weight").write_text(str(share.cpu_weight))
            if share.cpus is not None:
                quota = max(1000, round(share.cpus * CFS_PERIOD_US))
                (folder / "cpu.max").write_text(f"{quota} {CFS_PERIOD_US}")
            if share.memory_mb is not None:
                (folder / "memory.max").write_text(str(share.memory_mb * 1024 * 1024))
                if (folder / "memory.swap.max").exists():
                    (folder / "memory.swap.max").write_text("0")
            if share.max_processes is not None:
                (folder / "pids.max").write_text(str(share.max_processes))
            return
        shares = max(2, share.cpu_weight * V1_DEFAULT_SHARES // 100)
        (group.cpu_folder / "cpu.shares").write_text(str(shares))
        if share.cpus is not None:
            (group.cpu_folder / "cpu.cfs_period_us").write_text(str(CFS_PERIOD_US))
            quota = max(1000, round(share.cpus * CFS_PERIOD_US))
            (group.cpu_folder / "cpu.cfs_quota_us").write_text(str(quota))
        if share.memory_mb is not None:
            limit = str(share.memory_mb * 1024 * 1024)
            (group.memory_folder / "memory.limit_in_bytes").write_text(limit)
            swap = group.memory_folder / "memory.memsw.limit_in_bytes"
            if swap.exists():  # memory plus swap: no escape into swap
                swap.write_text(limit)
        if share.max_processes is not None:
            pids_folder = self.parents["pids"] / group.name
            (pids_folder / "pids.max").write_text(str(share.max_processes))

    def pinned(self) -> Hierarchy:
        """The same parents, reached through file descriptors held open by this process
        (``/proc/<pid>/fd/<n>``): they stay reachable when this process later leaves the file
        system where they lie (the checker's own confinement shows no ``/sys``), and so do they
        for the processes it starts, which join groups through those paths."""
        held: dict[Path, Path] = {}
        parents = {}
        for controller, folder in self.parents.items():
            if folder not in held:
                fd = os.open(folder, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
                held[folder] = Path(f"/proc/{os.getpid()}/fd/{fd}")
            parents[controller] = held[folder]
        return Hierarchy(self.version, parents, self.owner, shown=dict(self.parents))

    def remove(self) -> None:
        """Remove the parent group and everything below it (at the owner's exit)."""
        if not self.owner:
            return
        for parent in self.parents.values():
            for child in _subfolders(parent):
                self._group(child.name).remove()
        for parent in dict.fromkeys((self.shown or self.parents).values()):
            _remove_tree(parent)


# --- finding the hierarchies --------------------------------------------------------------------


@dataclass(frozen=True)
class _Mount:
    version: int
    root: str  # the mount's root inside the hierarchy (not "/" inside a container)
    point: Path
    controllers: frozenset[str]


def detect(proc: Path = Path("/proc"), *, pid: int | None = None) -> Hierarchy:
    """This process's parent group, made (or found, inside a checker) now.

    Raises ``CgroupsUnavailable`` saying what is missing: no writable hierarchy with the cpu,
    memory and pids controllers, or no permission to make groups there.
    """
    pid = pid or os.getpid()
    mounts = _mounts(proc / "self" / "mountinfo")
    membership = _membership(proc / "self" / "cgroup")
    reasons: list[str] = []
    for attempt in (_v2_parent, _v1_parent):
        try:
            return attempt(mounts, membership, pid)
        except CgroupsUnavailable as error:
            reasons.append(str(error))
        except OSError as error:
            reasons.append(f"{attempt.__name__.strip('_').split('_')[0]}: {error}")
    raise CgroupsUnavailable("; ".join(reasons))


def _mounts(mountinfo: Path) -> list[_Mount]:
    found = []
    try:
        lines = mountinfo.read_text().splitlines()
    except OSError as error:
        raise CgroupsUnavailable(f"{mountinfo} cannot be read ({error})") from error
    for line in lines:
        before, _, after = line.partition(" - ")
        fields, tail = before.split(), after.split()
        if len(fields) < 5 or len(tail) < 3 or tail[0] not in {"cgroup", "cgroup2"}:
            continue
        if "rw" not in fields[5].split(","):
            continue  # read-only: nothing can be made there
        point = Path(fields[4].replace("\\040", " "))
        if tail[0] == "cgroup2":
            listed = point / "cgroup.controllers"
            with contextlib.suppress(OSError):
                controllers = frozenset(listed.read_text().split())
                found.append(_Mount(2, fields[3], point, controllers))
            continue
        options = set(tail[2].split(","))
        found.append(_Mount(1, fields[3], point, frozenset(options)))
    return found


def _membership(cgroup_file: Path) -> dict[str, str]:
    """controller -> this process's group path ("" -> its v2 group)."""
    found: dict[str, str] = {}
    for line in cgroup_file.read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            found[controller] = path
    return found


def _folder_of(mount: _Mount, path: str) -> Path:
    """The folder of group ``path`` (as /proc/self/cgroup names it) in ``mount``."""
    inside = os.path.relpath(path, mount.root) if mount.root != "/" else path.lstrip("/")
    if inside.startswith(".."):
        raise CgroupsUnavailable(f"this process's group {path} lies outside {mount.point}")
    return mount.point / inside if inside not in {"", "."} else mount.point


def _parent_in(base: Path, pid: int) -> tuple[Path, bool]:
    """The workbook parent below ``base``: the one this process is already inside (a checker
    started by a grader), or ``workbook-<pid>``, made now. (folder, made by this process)"""
    for folder in [base, *base.parents]:
        if _PARENT_NAME.match(folder.name):
            return folder, False
    parent = base / f"{PARENT_PREFIX}{pid}"
    _remove_stale_parents(base)
    with contextlib.suppress(FileExistsError):
        parent.mkdir()
    return parent, True


def _v2_parent(mounts: list[_Mount], membership: dict[str, str], pid: int) -> Hierarchy:
    unified = next((m for m in mounts if m.version == 2), None)
    if unified is None or "" not in membership:
        raise CgroupsUnavailable("v2: no writable unified hierarchy")
    missing = [c for c in V2_CONTROLLERS if c not in unified.controllers]
    if missing:
        raise CgroupsUnavailable(
            f"v2: the unified hierarchy at {unified.point} lacks {', '.join(missing)} "
            "(bound to v1 hierarchies)"
        )
    base = _folder_of(unified, membership[""])
    parent, made = _parent_in(base, pid)
    if made:
        # Delegate the controllers to our parent, and from it to its groups. A non-root group
        # that holds processes cannot delegate (cgroup v2's rule): that fails here, and v1 is
        # tried instead.
        wanted = " ".join(f"+{c}" for c in V2_CONTROLLERS)
        try:
            (base / "cgroup.subtree_control").write_text(wanted)
            (parent / "cgroup.subtree_control").write_text(wanted)
        except OSError as error:
            _remove_tree(parent)
            raise CgroupsUnavailable(
                f"v2: the controllers cannot be delegated below {base} ({error})"
            ) from error
    return _owned(Hierarchy(2, {"": parent}, made))


def _v1_parent(mounts: list[_Mount], membership: dict[str, str], pid: int) -> Hierarchy:
    by_controller = {
        controller: mount
        for mount in mounts
        if mount.version == 1
        for controller in mount.controllers
        if controller in (*V1_CONTROLLERS, "cpuacct")
    }
    missing = [c for c in V1_CONTROLLERS if c not in by_controller or c not in membership]
    if missing:
        raise CgroupsUnavailable(f"v1: no writable hierarchy for {', '.join(missing)}")
    parents: dict[str, Path] = {}
    made = False
    try:
        for controller, mount in by_controller.items():
            if controller not in membership:
                continue
            folder, made_here = _parent_in(_folder_of(mount, membership[controller]), pid)
            parents[controller] = folder
            made = made or made_here
    except OSError:
        for folder in parents.values():
            _remove_tree(folder)
        raise
    return _owned(Hierarchy(1, parents, made))


def _owned(hierarchy: Hierarchy) -> Hierarchy:
    """``hierarchy``, its parent removed when this process exits, if this process made it."""
    if hierarchy.owner:
        owner = os.getpid()

        def remove_at_exit() -> None:
            if os.getpid() == owner:  # not in forked children, which inherit atexit handlers
                with contextlib.suppress(OSError):
                    hierarchy.remove()

        atexit.register(remove_at_exit)
    return hierarchy


def _remove_stale_parents(base: Path) -> None:
    """Parents left by grading processes that crashed (their pid is gone): kill and remove."""
    for folder in _subfolders(base):
        match = _PARENT_NAME.match(folder.name)
        if match and not _alive(int(match.group(1))):
            for child in _subfolders(folder):
                _kill_folder(child)
            _kill_folder(folder)
            _remove_tree(folder)


# --- for grading: one hierarchy per process, or a reason why not ---------------------------------


@cache
def _this_process(pid: int) -> Hierarchy | str:
    if os.environ.get("WORKBOOK_NO_CGROUPS"):
        return "switched off by WORKBOOK_NO_CGROUPS"
    try:
        return detect(pid=pid).pinned()
    except (CgroupsUnavailable, OSError) as error:
        return str(error)


def hierarchy() -> Hierarchy | None:
    """This process's parent group, or None where cgroups cannot be had (see ``why_not``)."""
    found = _this_process(os.getpid())
    return found if isinstance(found, Hierarchy) else None


def why_not() -> str:
    """Why cgroups cannot be had here ("" where they can)."""
    found = _this_process(os.getpid())
    return found if isinstance(found, str) else ""


def new_group(kind: str, share: Share) -> Group | None:
    """A group for one sandbox or checker, or None where cgroups cannot be had (or this one
    could not be made: the caller then runs as it would without cgroups)."""
    found = hierarchy()
    if found is None:
        return None
    try:
        return found.new_group(kind, share)
    except OSError:
        return None


UNAVAILABLE_NOTE = (
    "cgroups could not be used here ({reason}), so each sandbox is bounded only by its process "
    "count and per-process limits, and the CPU is shared by session: an answer that starts many "
    "sessions can slow the answers graded beside it. Grade as root on a machine with writable "
    "cgroup hierarchies (cpu, memory, pids), or with --workers 1, for fair shares."
)


def availability_line() -> str:
    """One line for grading's output: what confines the CPU, memory and processes."""
    found = hierarchy()
    if found is None:
        return "WARNING: " + UNAVAILABLE_NOTE.format(reason=why_not())
    where = ", ".join(sorted({str(p.parent) for p in (found.shown or found.parents).values()}))
    return f"fair shares: a cgroup (v{found.version}) per sandbox and per checker, below {where}"


# --- small file helpers --------------------------------------------------------------------------


def _read_int(path: Path) -> int:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def _stat_value(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _subfolders(folder: Path) -> list[Path]:
    try:
        return [entry for entry in folder.iterdir() if entry.is_dir()]
    except OSError:
        return []


def _procs_files_below(folder: Path) -> list[Path]:
    return [folder / "cgroup.procs", *(p / "cgroup.procs" for p in _walk(folder))]


def _walk(folder: Path) -> list[Path]:
    found = []
    for child in _subfolders(folder):
        found += [child, *_walk(child)]
    return found


def _kill_folder(folder: Path) -> None:
    Group(folder.name, 1, (folder,), folder, folder, None).kill()


def _remove_tree(folder: Path) -> None:
    """rmdir a group and the groups below it. A group's files cannot be unlinked (and need not
    be); a folder still busy (a process that is being reaped) gets a few more tries."""
    for child in reversed(_walk(folder)):
        _rmdir(child)
    _rmdir(folder)


def _rmdir(folder: Path) -> None:
    deadline = time.monotonic() + 2.0
    while True:
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError as error:
            if error.errno != errno.EBUSY or time.monotonic() > deadline:
                return
            time.sleep(0.02)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
