"""The answer process's report, read where the answer cannot reach: schema-checked and capped.

The report is the only thing besides HTTP that crosses from an answer process to the checks.
Each line must be one event of a fixed schema (``workbook.host.report``); anything else makes
the whole report malformed, and a malformed or missing report fails the answer with a reason.
Nothing in it is executed or unpickled, and nothing in it decides whether a check passes: it
explains what the trusted evidence (HTTP, the source, the fake upstreams, timing) showed.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from workbook.host.protocol import REPORT_SCHEMA

MAX_LINE_BYTES = 64 * 1024
MAX_REPORT_BYTES = 4 * 1024 * 1024

Text = Annotated[str, Field(max_length=4000)]
LongText = Annotated[str, Field(max_length=12000)]


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Hello(_Event):
    event: Literal["hello"]
    schema_version: int = Field(alias="schema")
    pid: int


class Loaded(_Event):
    event: Literal["loaded"]
    files: int


class ErrorFields(_Event):
    type: Text
    message: Text
    line: int | None
    code: Text
    function: Text | None
    traceback: LongText


class LoadError(ErrorFields):
    event: Literal["load-error"]


class AppError(ErrorFields):
    event: Literal["app-error"]
    request: Text
    request_id: Text


class Serving(_Event):
    event: Literal["serving"]


class WarningEvent(_Event):
    event: Literal["warning"]
    category: Text
    category_module: Text
    message: Text
    filename: Text
    line: int | None


class Blocking(_Event):
    event: Literal["blocking"]
    call: Text
    origin: Text
    line: int | None
    code: Text
    source_line: Text = ""
    request: Text


class Output(_Event):
    event: Literal["output"]
    stream: Literal["stdout", "stderr"]
    text: Text


class Stopped(_Event):
    event: Literal["stopped"]
    started: bool


Event = Annotated[
    Hello | Loaded | LoadError | AppError | Serving | WarningEvent | Blocking | Output | Stopped,
    Field(discriminator="event"),
]
_EVENT = TypeAdapter(Event)


class AnswerReport:
    """Events as they arrive on the report pipe, read by a thread of the checks' process."""

    def __init__(self, fd: int | None) -> None:
        self.events: list[Event] = []
        self.malformed = ""  # why the report cannot be trusted to be the host's, if it cannot
        self.ended = fd is None  # the write end closed: the answer process is gone
        self._changed = threading.Condition()
        self._fd = fd
        if fd is not None:
            threading.Thread(target=self._read, name="answer-report", daemon=True).start()

    # --- reading ----------------------------------------------------------------------------

    def _read(self) -> None:
        assert self._fd is not None
        pending, total, number = b"", 0, 0
        try:
            while chunk := os.read(self._fd, 65536):
                total += len(chunk)
                if total > MAX_REPORT_BYTES:
                    self._reject(f"it grew beyond {MAX_REPORT_BYTES // 1024 // 1024} MB")
                    return
                pending += chunk
                *lines, pending = pending.split(b"\n")
                if len(pending) > MAX_LINE_BYTES:
                    self._reject(f"line {number + 1} is longer than {MAX_LINE_BYTES} bytes")
                    return
                for line in lines:
                    number += 1
                    if not self._accept(number, line):
                        return
            if pending.strip():
                self._reject(f"line {number + 1} was cut off")
        except OSError as error:
            self._reject(f"it could not be read ({error.strerror})")
        finally:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            with self._changed:
                self.ended = True
                self._changed.notify_all()

    def _accept(self, number: int, line: bytes) -> bool:
        try:
            event = _EVENT.validate_json(line)
        except ValidationError:
            self._reject(f"line {number} is not an event the workbook's host writes")
            return False
        if number == 1 and not (isinstance(event, Hello) and event.schema_version == REPORT_SCHEMA):
            self._reject("it does not start with the host's greeting")
            return False
        with self._changed:
            self.events.append(event)
            self._changed.notify_all()
        return True

    def _reject(self, why: str) -> None:
        with self._changed:
            self.malformed = why
            self._changed.notify_all()

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not condition():
                left = deadline - time.monotonic()
                if left <= 0 or self.ended or self.malformed:
                    return condition()
                self._changed.wait(left)
            return True

    # --- what it says -----------------------------------------------------------------------

    def _of(self, kind: type[_Event]) -> list:  # type: ignore[type-arg]
        with self._changed:
            return [event for event in self.events if isinstance(event, kind)]

    @property
    def greeted(self) -> bool:
        return bool(self._of(Hello))

    @property
    def load_error(self) -> LoadError | None:
        found = self._of(LoadError)
        return found[0] if found else None

    @property
    def serving(self) -> bool:
        return bool(self._of(Serving))

    @property
    def stopped(self) -> Stopped | None:
        found = self._of(Stopped)
        return found[0] if found else None

    @property
    def warnings(self) -> list[WarningEvent]:
        return self._of(WarningEvent)

    @property
    def blocking(self) -> list[Blocking]:
        return self._of(Blocking)

    @property
    def app_errors(self) -> list[AppError]:
        return self._of(AppError)

    def error_for(self, request_id: str, wait: float = 0.0) -> AppError | None:
        """The exception the app reported for one request (reported just after its 500)."""

        def found() -> AppError | None:
            return next((e for e in self.app_errors if e.request_id == request_id), None)

        if wait:
            self.wait_until(lambda: found() is not None, wait)
        return found()

    def blocking_during(self, request_prefix: str = "") -> list[Blocking]:
        return [event for event in self.blocking if event.request.startswith(request_prefix)]

    @property
    def output(self) -> str:
        return "".join(event.text for event in self._of(Output))


class DiscardedReport(AnswerReport):
    """A report that says nothing: checks run on trusted evidence alone (the author's proof)."""

    def __init__(self, real: AnswerReport) -> None:
        super().__init__(None)
        self.real = real  # still drained, so the answer is never stuck writing to a full pipe

    def wait_until(self, condition: Callable[[], bool], timeout: float) -> bool:
        return condition()
