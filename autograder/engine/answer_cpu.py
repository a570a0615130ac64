"""How much CPU an answer's processes have run, read from the kernel by the checks.

A cost row that reads the checks' clock counts every moment the answer waited for a CPU
another program held: on a busy machine a lookup near the end of a list and one near its
start differ by noise larger than the scan itself (measured in CI: a scanned list passed, and
an index failed, the same row). The CPU time the kernel charges the answer's processes counts
only what they ran, so work per request (a scan, a parse) shows whatever else the machine does.

Which processes are the answer's is read from the kernel too, never from the answer: those
that hold the listening socket the checks created and handed over (``/proc/PID/fd`` links to
``socket:[inode]``). Their CPU clock (``clock_gettime`` on the process's CPU-time clock, which
counts a running thread's current slice as well) sums every thread. Where the kernel does not
let the checks see the answer (another PID namespace, no permission), there is no meter and
the rows time the answer from outside as before.

No library does this: psutil reads the same files but rounds CPU times to clock ticks (10 ms),
a hundred times coarser than the work these rows look for.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PROC = Path("/proc")
CPUCLOCK_SCHED = 2  # the kernel's process CPU clock that counts scheduled run time (ns)


def _process_clock(pid: int) -> int:
    """The clock id of ``pid``'s whole-process CPU time (``clock_getcpuclockid`` in C)."""
    return ((~pid) << 3) | CPUCLOCK_SCHED


def socket_holders(inode: int) -> list[int]:
    """The processes that hold socket ``inode`` open, as this process's PID namespace sees them."""
    link = f"socket:[{inode}]"
    holders = []
    for entry in os.scandir(PROC):
        if not entry.name.isdigit():
            continue
        try:
            fds = os.scandir(f"{entry.path}/fd")
        except OSError:
            continue  # gone, or not ours to look at
        with fds:
            for fd in fds:
                try:
                    if os.readlink(fd.path) == link:
                        holders.append(int(entry.name))
                        break
                except OSError:
                    continue
    return holders


class AnswerCpu:
    """The CPU seconds run so far by the processes holding one answer's listening socket."""

    def __init__(self, socket_inode: int) -> None:
        self.socket_inode = socket_inode
        self._pids: list[int] | None = None

    def seconds(self) -> float | None:
        """Their CPU time in seconds, or None when the kernel shows none of them to the checks."""
        if not self.socket_inode or not hasattr(time, "clock_gettime"):
            return None
        if self._pids is None:
            self._pids = [pid for pid in socket_holders(self.socket_inode) if pid != os.getpid()]
        total = 0.0
        for pid in self._pids:
            try:
                total += time.clock_gettime(_process_clock(pid))
            except OSError:
                self._pids = None  # one has ended: look again next time
                return None
        return total if self._pids else None
