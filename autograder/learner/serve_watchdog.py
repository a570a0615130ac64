"""``python -m autograder.learner.serve_watchdog INODE``: end an app ``serve()`` started once its
kernel is gone.

The kernel starts this process, in a session of its own, with a pipe on its stdin whose other end
only the kernel holds. When the kernel ends, however it ends (a restart kills it with SIGKILL,
which no handler inside it sees), the pipe reaches end-of-file and this process ends every process
that holds the app's listening socket, named by its inode: that is the served app and whatever it
started, and nothing else, even if process ids are reused meanwhile. A byte on the pipe means
``stop_serving()`` ended the app itself: then this process leaves without acting.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time

GRACE_SECONDS = 1.0


def holders(inode: int) -> list[int]:
    """The processes with the socket ``inode`` open (Linux's /proc: the kernel's own record)."""
    target = f"socket:[{inode}]"
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        with contextlib.suppress(OSError):  # ended meanwhile, or not ours to read
            for fd in os.listdir(f"/proc/{entry}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{entry}/fd/{fd}") == target:
                        found.append(int(entry))
                        break
    return found


def end_holders(inode: int) -> None:
    for signum in (signal.SIGTERM, signal.SIGKILL):
        pids = holders(inode)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signum)
        deadline = time.monotonic() + GRACE_SECONDS
        while time.monotonic() < deadline and holders(inode):
            time.sleep(0.05)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        sys.stderr.write("usage: python -m autograder.learner.serve_watchdog SOCKET_INODE\n")
        return 2
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl+C meant for the lab is not for us
    if sys.stdin.buffer.read(1):  # blocks until the kernel says "stopped" or is gone
        return 0
    end_holders(int(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
