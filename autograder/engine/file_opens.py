"""The kernel's account of one file (inotify(7)): every open(2) and close(2) of it, by any
process, whatever namespace or sandbox it runs in (the watch is on the inode).

SQLite opens its database file once per connection, so opens are connections made and closes
connections ended: evidence from outside the app, which the app cannot word. The kernel merges
an event into an identical one not yet read, so a check reads the events after every response.
inotify_simple does the system calls and the parsing of events.
"""

from __future__ import annotations

from pathlib import Path

from inotify_simple import INotify, flags

from autograder.engine.starvation import MachineStarved

CLOSES = flags.CLOSE_WRITE | flags.CLOSE_NOWRITE


class FileOpens:
    """Opens and closes of one file, counted by the kernel since the watch began.

    Where the kernel gives no watch (its per-user limit reached, say), the row cannot be
    decided on this machine: ``MachineStarved``, so grading decides it again, never a failure.
    """

    def __init__(self, path: Path) -> None:
        try:
            self._watch = INotify(nonblocking=True)
        except OSError as error:
            raise MachineStarved(f"the kernel gave no inotify watch ({error.strerror})") from None
        try:
            self._watch.add_watch(path, flags.OPEN | CLOSES | flags.DONT_FOLLOW)
        except OSError as error:
            self._watch.close()
            raise MachineStarved(f"the kernel gave no inotify watch ({error.strerror})") from None
        self.opened = self.closed = 0

    @property
    def open_now(self) -> int:
        return self.opened - self.closed

    def read(self) -> None:
        """Counts the events the kernel has queued, without waiting for more."""
        for event in self._watch.read(timeout=0):
            if event.mask & flags.Q_OVERFLOW:
                raise MachineStarved("the kernel dropped events of the watched file")
            self.opened += bool(event.mask & flags.OPEN)
            self.closed += bool(event.mask & CLOSES)

    def close(self) -> None:
        self._watch.close()

    def __enter__(self) -> FileOpens:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
