"""The answer process's report: one JSON object per line on a pipe the checks read.

Events (``event`` names the kind; every other field is a string, an integer or null):
``hello``, ``loaded``, ``load-error``, ``serving``, ``warning``, ``blocking``, ``app-error``,
``output``, ``stopped``. The checks validate each line against a fixed schema and treat the
whole report as untrusted: it explains what happened, it never decides a grade.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any

from workbook.host.protocol import MAX_OUTPUT, MAX_TEXT, MAX_TRACEBACK, REPORT_SCHEMA

# Bound before blockbuster wraps os.write: the report is written from inside the event loop
# (a warning raised during a request), and a wrapped write would be reported as blocking,
# from inside the report's own lock.
_write = os.write


def _capped(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    limit = MAX_TRACEBACK if name == "traceback" else MAX_TEXT
    return value if len(value) <= limit else value[: limit - 1] + "…"


class Report:
    """Writes events; a closed or broken pipe silences it rather than failing the answer."""

    def __init__(self, fd: int | None) -> None:
        self._fd = fd
        self._lock = threading.Lock()
        self._output_left = MAX_OUTPUT

    def emit(self, event: str, **fields: Any) -> None:
        if self._fd is None:
            return
        line = json.dumps({"event": event, **{k: _capped(k, v) for k, v in fields.items()}})
        data = (line + "\n").encode()
        with self._lock:
            try:
                while data:
                    written = _write(self._fd, data)
                    data = data[written:]
            except OSError:
                self._fd = None  # the checks stopped listening; the answer goes on

    def hello(self) -> None:
        self.emit("hello", schema=REPORT_SCHEMA, pid=os.getpid())

    def output(self, stream: str, text: str) -> None:
        """What the answer printed, up to MAX_OUTPUT characters in all."""
        with self._lock:
            if self._output_left <= 0:
                return
            text = text[: self._output_left]
            self._output_left -= len(text)
        self.emit("output", stream=stream, text=text)


class ReportedStream:
    """A text stream that forwards what the answer prints to the report."""

    def __init__(self, report: Report, name: str) -> None:
        self._report = report
        self.name = name
        self.encoding = "utf-8"
        self.errors = "replace"

    def write(self, text: str) -> int:
        if text:
            self._report.output(self.name, text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def fileno(self) -> int:
        raise OSError("the answer's output is captured")
