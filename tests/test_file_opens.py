"""autograder.engine.file_opens: the kernel's count of a file's opens and closes."""

import sqlite3

import pytest

from autograder.engine.file_opens import FileOpens
from autograder.engine.starvation import MachineStarved


def test_each_connection_to_a_database_is_an_open_and_its_end_a_close(tmp_path):
    database = tmp_path / "library.db"
    sqlite3.connect(database).close()
    with FileOpens(database) as watch:
        connections = []
        for _ in range(3):  # read after each: the kernel merges an event into an unread twin
            connections.append(sqlite3.connect(database))
            connections[-1].execute("SELECT 1")
            watch.read()
        assert (watch.opened, watch.closed) == (3, 0)
        connections[0].close()
        watch.read()
        assert watch.open_now == 2
        for connection in connections[1:]:
            connection.close()
            watch.read()
        assert (watch.opened, watch.closed, watch.open_now) == (3, 3, 0)


def test_a_file_the_kernel_cannot_watch_is_undecided_not_a_failure(tmp_path):
    with pytest.raises(MachineStarved, match="no inotify watch"):
        FileOpens(tmp_path / "missing.db")
