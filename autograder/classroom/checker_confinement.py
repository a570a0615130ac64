"""Confinement for the checker: the trusted process that runs one answer's checks.

The checker never runs the answer's code, but it reads what the answer hands it (an OpenAPI
document, response bodies) with libraries that may open files or URLs on the answer's behalf.
So it runs with no more in view than checking needs:

- a mount namespace of its own whose root holds the system (``/usr``, the libraries, a few
  files of ``/etc``), Python and the virtual environment, the workbook's project (checks,
  reference, ``workbook``), all read-only, and this submission's host folder (its answer's
  socket, its fake services' sockets, its databases); a private ``/tmp`` and an empty working
  directory in it. The course (nbgrader's working directory), other submissions, their
  sandboxes and the gradebook are not there;
- a network namespace of its own with only its own loopback up: the fake services it serves
  and the reference it talks to are reachable, the machine's network and loopback-only
  services are not. Answers reach the checker only through the Unix sockets in the host folder.

Why not bubblewrap, as for answers: the checker is a process already running (forked from a
warm fork server that has imported FastAPI, pytest and Hypothesis, which is what makes a check
fast); bubblewrap only starts new processes. So the checker enters namespaces itself with
unshare(2) and builds its root with mount(2) and pivot_root(2), which needs root (Python 3.11
has no ``os.unshare``, hence ctypes). This must happen while the process has one thread:
namespaces belong to a thread, and a thread started earlier would stay outside.

Where that is not possible (not root, a kernel or container that refuses), the checker runs as
it did before, with the grader's view and network, and ``confine_checker`` says why.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import logging
import os
import platform
import socket
import stat
import struct
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_REMOUNT = 0x20
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MNT_DETACH = 0x2
SIOCGIFFLAGS = 0x8913
SIOCSIFFLAGS = 0x8914
IFF_UP = 0x1
# pivot_root(2) has no glibc wrapper: its system call number, per architecture.
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217}

# Where each checker builds its root, in its own mount namespace (the folder stays empty outside).
ROOT_MOUNTPOINT = Path("/tmp/.workbook-checker-root")
TMP_BYTES = 512 * 1024 * 1024
WORKING_DIRECTORY = "/tmp/checker"
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "ssl", "ca-certificates",
             "hosts", "nsswitch.conf", "passwd", "group", "mime.types", "os-release")  # fmt: skip
FALLBACK_NOTE = (
    "The checks of this answer ran without a confinement of their own ({reason}): they had "
    "the grader's view of the machine. Answers are still confined; grade as root for both."
)


@dataclass(frozen=True)
class Confinement:
    """What ``confine_checker`` did: ``confined``, or why not, and how long it took."""

    confined: bool
    reason: str = ""
    seconds: float = 0.0

    def note(self) -> str | None:
        return None if self.confined else FALLBACK_NOTE.format(reason=self.reason)


class ConfinementUnavailable(OSError):
    """A step of confinement failed; the checker goes on as before."""


def confine_checker(host_directory: Path, visible: list[Path] | None = None) -> Confinement:
    """Enter a private network and mount namespace that shows only what checking needs.

    ``host_directory`` is the submission's host folder, kept writable; ``visible`` are further
    folders kept read-only (by default: Python, the virtual environment and the project).
    Call it first thing in a fresh checker, before any thread starts.
    """
    started = time.perf_counter()
    reason = _why_not_possible()
    if reason:
        return _not_confined(reason)
    libc = ctypes.CDLL(None, use_errno=True)
    own_network = os.open("/proc/self/ns/net", os.O_RDONLY)
    own_mounts = os.open("/proc/self/ns/mnt", os.O_RDONLY)
    cwd = os.getcwd()
    try:
        _call(libc.unshare, CLONE_NEWNET | CLONE_NEWNS)
        _loopback_up()
        _build_root(libc, host_directory.resolve(), visible or default_visible())
    except (OSError, ValueError) as error:
        # Back into the namespaces we left: a half-built view must not be where checks run.
        for namespace, kind in ((own_network, CLONE_NEWNET), (own_mounts, CLONE_NEWNS)):
            if libc.setns(namespace, kind) != 0:
                os._exit(70)  # neither confined nor as before: never check in between
        os.chdir(cwd)
        return _not_confined(str(error))
    finally:
        os.close(own_network)
        os.close(own_mounts)
    return Confinement(True, seconds=time.perf_counter() - started)


def _not_confined(reason: str) -> Confinement:
    logging.getLogger("autograder.checker").warning(
        "checks run without the checker's own confinement: %s", reason
    )
    return Confinement(False, reason)


def _why_not_possible() -> str:
    if not sys.platform.startswith("linux"):
        return "namespaces need Linux"
    if os.geteuid() != 0:
        return "the grader is not root, and building the view needs root"
    if platform.machine() not in SYS_PIVOT_ROOT:
        return f"pivot_root's system call is not known on {platform.machine()}"
    if threading.active_count() > 1:
        return "the checker had started threads, which would stay outside"
    return ""


def default_visible() -> list[Path]:
    """Python, the virtual environment, the project and where the reference lives."""
    from autograder import registry

    paths = {Path(sys.base_prefix), Path(sys.prefix), Path(sys.executable).resolve().parent.parent}
    paths |= {registry.project_root(), registry.solutions_dir()}
    if os.environ.get("WORKBOOK_BWRAP"):  # a bubblewrap of its own, for the reference's sandbox
        paths.add(Path(os.environ["WORKBOOK_BWRAP"]).resolve().parent)
    working = Path.cwd().resolve()
    for entry in sys.path:
        # sys.path[0] may be the working directory (the course): that one stays out.
        path = Path(entry or ".").resolve()
        if path.is_dir() and path != working:
            paths.add(path)
    return sorted({path.resolve() for path in paths if path.exists()})


def _call(function: ctypes._CFuncPtr, *args: object) -> None:
    if function(*args) != 0:
        code = ctypes.get_errno()
        name = getattr(function, "__name__", "a system call")
        raise ConfinementUnavailable(code, f"{name} failed: {os.strerror(code)}")


def _loopback_up() -> None:
    """A new network namespace starts with its loopback down: the fake services listen there."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as control:
        request = struct.pack("16sH14x", b"lo", 0)
        flags = struct.unpack("16sH14x", fcntl.ioctl(control, SIOCGIFFLAGS, request))[1]
        fcntl.ioctl(control, SIOCSIFFLAGS, struct.pack("16sH14x", b"lo", flags | IFF_UP))


def _build_root(libc: ctypes.CDLL, host_directory: Path, visible: list[Path]) -> None:
    mount = libc.mount
    mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                      ctypes.c_char_p]  # fmt: skip

    def do(source: str | None, target: Path | str, kind: str | None, flags: int,
           options: str | None = None) -> None:  # fmt: skip
        encoded = [None if v is None else str(v).encode() for v in (source, target, kind)]
        if mount(*encoded, flags, options.encode() if options else None) != 0:
            code = ctypes.get_errno()
            raise ConfinementUnavailable(code, f"mount {target} failed: {os.strerror(code)}")

    def bind(path: Path, *, writable: bool = False) -> None:
        target = root / path.relative_to("/")
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.touch()
        do(str(path), target, None, MS_BIND | MS_REC)
        if not writable:
            do(None, target, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)

    root = ROOT_MOUNTPOINT
    # Nothing mounted from here on shows in the grader's namespace, or comes back from it.
    do(None, "/", None, MS_REC | MS_PRIVATE)
    root.mkdir(mode=0o700, exist_ok=True)
    status = os.lstat(root)
    if not stat.S_ISDIR(status.st_mode) or status.st_uid != 0:
        # Someone else made it (a link, a folder of theirs): build nothing on what they chose.
        raise ConfinementUnavailable(errno.EEXIST, f"{root} is not a folder of root's own")
    do("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    for top in ("bin", "lib", "lib32", "lib64", "sbin"):
        path = Path("/") / top
        if path.is_symlink():
            (root / top).symlink_to(os.readlink(path))
        elif path.is_dir():
            bind(path)
    bind(Path("/usr"))
    for name in ETC_FILES:
        if (Path("/etc") / name).exists():
            bind(Path("/etc") / name)
    (root / "proc").mkdir()
    do("/proc", root / "proc", None, MS_BIND | MS_REC)
    (root / "dev").mkdir()
    do("/dev", root / "dev", None, MS_BIND | MS_REC)
    (root / "tmp").mkdir()
    do("tmpfs", root / "tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={TMP_BYTES},mode=1777")
    if (root / "dev" / "shm").is_dir():  # the machine's shared memory is not the checker's
        do("tmpfs", root / "dev" / "shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
    # After /tmp: the project or the virtual environment may live under /tmp (a CI clone).
    for path in _outermost(visible):
        if not _under(path, Path("/usr")):
            bind(path)
    bind(host_directory, writable=True)
    working = Path.cwd().resolve()
    shown = [*visible, host_directory]
    if any(_under(working, path) and working != path for path in _outermost(visible)) and not any(
        _under(path, working) for path in shown
    ):
        # The course inside a folder that stays visible (a course made in the project): hidden.
        do("tmpfs", root / working.relative_to("/"), "tmpfs", MS_NOSUID | MS_NODEV, "mode=0555")
    (root / WORKING_DIRECTORY.lstrip("/")).mkdir(mode=0o700)
    do(None, root, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)

    # The new root replaces the old, which is then let go: nothing of it stays reachable.
    os.chdir(root)
    pivot = SYS_PIVOT_ROOT[platform.machine()]
    if libc.syscall(pivot, b".", b".") != 0:
        code = ctypes.get_errno()
        raise ConfinementUnavailable(code, f"pivot_root failed: {os.strerror(code)}")
    if libc.umount2(b".", MNT_DETACH) != 0:
        code = ctypes.get_errno()
        raise ConfinementUnavailable(code, f"detaching the old root failed: {os.strerror(code)}")
    os.chdir(WORKING_DIRECTORY)


def _outermost(paths: list[Path]) -> list[Path]:
    """Each path once: none that lies inside another of them."""
    chosen: list[Path] = []
    for path in sorted(set(paths), key=lambda p: len(p.parts)):
        if not any(_under(path, other) for other in chosen):
            chosen.append(path)
    return chosen


def _under(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents
