"""Confinement for classroom grading: each submission's answers run inside bubblewrap.

Why bubblewrap: it is the small, setuid-free tool Flatpak itself is built on, packaged by every
major distribution (Debian's ``bubblewrap``), and it does exactly what grading needs from the
command line: new PID, mount, network, IPC, UTS and user namespaces, a file system assembled
from read-only binds, a private ``/proc``, a size-limited ``/tmp``, and the death of everything
inside when the sandbox's parent goes. Containers (Docker, podman) would need a daemon or an
image; nsjail and firejail are not in Debian's main archive with the same guarantees.

Inside a sandbox the answer sees the operating system's read-only ``/usr``, the Python
installation and the virtual environment (read-only), the ``workbook`` package it may import,
a read-only folder of Unix sockets for the fake upstream services, and ``/tmp`` as its only
writable place. The course, the project's checks and solutions, and other students' files are
not there. One sandbox serves one submission, so no answer ever shares a process, a ``/tmp``
or a zygote with another student's.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import workbook
from autograder.classroom import cgroups

SANDBOX_UPSTREAMS = "/run/workbook/upstreams"
SANDBOX_DATA = "/run/workbook/data"
TMP_BYTES = 256 * 1024 * 1024
INSTALL_HINT = (
    "Classroom grading runs every answer inside bubblewrap (`bwrap`), which is not available "
    "here. Install it (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: `sudo dnf "
    "install bubblewrap`; Arch: `sudo pacman -S bubblewrap`), or grade with --unconfined, "
    "which runs answers without confinement and says so in every feedback."
)
UNCONFINED_NOTE = (
    "Graded without confinement (--unconfined): this answer ran with the grader's own access "
    "to the machine, so a hostile submission could have changed grades or files."
)


# A whole sandbox's share of the machine, enforced by its cgroup (see cgroups.py): an equal CPU
# weight whatever it does with sessions; memory for all its processes together (one answer may
# reserve 2 GiB of address space, and its /tmp is charged here too); and a ceiling on tasks
# (threads count: anyio alone may run 40) that a fork bomb hits at once. No CPU quota: a quota
# stops a whole group at once when it is spent, which the loop-stall probes would read as a
# blocked event loop; the weight is what makes the shares fair.
SANDBOX_SHARE = cgroups.Share(cpu_weight=100, memory_mb=3072, max_processes=512)


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here; the message says what to do."""


@cache
def bubblewrap_path() -> str:
    """The path of a working ``bwrap``, or ``SandboxUnavailable`` saying how to get one."""
    found = os.environ.get("WORKBOOK_BWRAP") or shutil.which("bwrap")
    if not found:
        raise SandboxUnavailable(INSTALL_HINT)
    trial = [found, "--unshare-all", "--ro-bind", "/", "/", "--proc", "/proc", "true"]
    try:
        done = subprocess.run(trial, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise SandboxUnavailable(f"bubblewrap did not run ({error}). {INSTALL_HINT}") from error
    if done.returncode != 0:
        raise SandboxUnavailable(
            f"bubblewrap is installed but cannot create a sandbox here "
            f"({done.stderr.strip() or f'exit {done.returncode}'}). Unprivileged user "
            "namespaces may be switched off (sysctl kernel.unprivileged_userns_clone, or an "
            "AppArmor policy); ask the machine's administrator, or grade with --unconfined."
        )
    return found


@dataclass(frozen=True)
class BubblewrapLauncher:
    """Starts a zygote inside a fresh bubblewrap sandbox (see the module's docstring)."""

    upstream_dir: Path  # on this side: where the fake services' Unix sockets appear
    data_dir: Path  # on this side: the answers' databases, the one folder they write that lasts
    max_processes: int = 64
    share: cgroups.Share = SANDBOX_SHARE
    confined: bool = field(default=True, init=False)

    def command(self, control_fd: int) -> list[str]:
        return [
            bubblewrap_path(),
            *self._namespaces(),
            *self._file_system(),
            "--chdir", "/tmp",
            "--clearenv",
            "--setenv", "PATH", "/usr/local/bin:/usr/bin:/bin",
            "--setenv", "HOME", "/tmp",
            "--setenv", "LANG", "C.UTF-8",
            "--setenv", "PYTHONDONTWRITEBYTECODE", "1",
            # -I: no user site-packages, no PYTHON* variables, and not the working directory
            # on sys.path (so nothing an answer writes to /tmp can shadow a module).
            sys.executable, "-I", "-m", "workbook.host",
            f"--control-fd={control_fd}", "--confined", f"--max-processes={self.max_processes}",
        ]  # fmt: skip

    def cgroup(self) -> cgroups.Group | None:
        """A new cgroup for one sandbox (None where cgroups cannot be had): its ``bwrap`` is
        started through ``join_command``, so it is inside before it forks anything."""
        return cgroups.new_group("sandbox", self.share)

    def relay_path(self, service_socket: Path) -> str:
        return f"{SANDBOX_UPSTREAMS}/{service_socket.relative_to(self.upstream_dir)}"

    def data_path(self, host_path: Path) -> str:
        return f"{SANDBOX_DATA}/{host_path.relative_to(self.data_dir)}"

    def for_directory(self, directory: Path) -> BubblewrapLauncher:
        """A sandbox of its own for another host: the same services, its own data folder."""
        return dataclasses.replace(self, data_dir=directory / "data")

    @staticmethod
    def _namespaces() -> list[str]:
        return [
            "--unshare-all",  # user, PID, network, IPC, UTS, cgroup
            "--hostname", "sandbox",
            "--die-with-parent",  # the sandbox ends with the grader that started it
            "--new-session",  # no terminal to push keystrokes into
            "--cap-drop", "ALL",
        ]  # fmt: skip

    def _file_system(self) -> list[str]:
        args = []
        for top in ("bin", "lib", "lib64", "sbin"):
            path = Path("/") / top
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), str(path)]
            elif path.is_dir():
                args += ["--ro-bind", str(path), str(path)]
        args += ["--ro-bind", "/usr", "/usr"]
        for name in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "ssl",
                     "ca-certificates", "hosts", "nsswitch.conf", "passwd", "group",
                     "mime.types"):  # fmt: skip
            args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        # /tmp comes before the Python binds: a virtualenv may itself live under /tmp (a CI
        # clone), and must then show through the answer's private /tmp.
        args += ["--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
        for path in _python_paths():
            args += ["--ro-bind", path, path]
        for folder in _folders_leading_to(_python_paths(), "/tmp"):
            args += ["--chmod", "0555", folder]  # no answer can leave files on the way
        args += ["--ro-bind", str(self.upstream_dir), SANDBOX_UPSTREAMS]
        # Writable, and read by the checks afterwards: only this submission's databases.
        args += ["--bind", str(self.data_dir), SANDBOX_DATA]
        for hidden in _hidden_paths():
            args += ["--tmpfs", hidden]  # an empty folder where the grader's own code lies
        args += ["--proc", "/proc", "--dev", "/dev"]
        # The folders bubblewrap made to hold the binds sit on a tmpfs root: make it read-only
        # too, so that /tmp is the one place an answer can write.
        args += ["--remount-ro", "/"]
        return args


def _folders_leading_to(paths: list[str], root: str) -> list[str]:
    """The folders strictly between ``root`` and each of ``paths`` below it, outermost first."""
    folders: list[str] = []
    for path in paths:
        if not path.startswith(root.rstrip("/") + "/"):
            continue
        parts = Path(path).relative_to(root).parts
        for depth in range(1, len(parts)):
            folder = str(Path(root, *parts[:depth]))
            if folder not in folders:
                folders.append(folder)
    return folders


def _python_paths() -> list[str]:
    """The interpreter, its standard library, the virtual environment and ``workbook``."""
    paths = {sys.base_prefix, sys.prefix, str(Path(sys.executable).resolve().parent.parent)}
    paths.add(str(Path(workbook.__file__).resolve().parent))
    # Under /usr already, or nested in another: bind each place once.
    chosen: list[str] = []
    for path in sorted(paths, key=len):
        if path.startswith("/usr/") or any(path.startswith(p.rstrip("/") + "/") for p in chosen):
            continue
        chosen.append(path)
    return chosen


def _hidden_paths() -> list[str]:
    """The grader's own package where an answer could otherwise read it (a non-editable install)."""
    import autograder

    package = str(Path(autograder.__file__).resolve().parent)
    visible = [*_python_paths(), "/usr"]
    return [package] if any(package.startswith(p.rstrip("/") + "/") for p in visible) else []
