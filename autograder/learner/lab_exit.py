"""A Jupyter server extension of the learner's lab: the server's process ends once it has stopped.

When a Jupyter server stops (Ctrl+C in ``make lab``, or File > Shut Down in JupyterLab), it shuts
its extensions and kernels down, then its event loop stops and Python waits in
``threading._shutdown`` for every thread that is not a daemon. A server extension's thread that
never ends (the collaboration extension's known hang) then keeps the process alive for as long
as it likes: 80 s once, with nothing on screen. Here a daemon thread waits for the event loop to
have run and stopped, gives the process ``EXIT_GRACE_SECONDS`` to end as usual, and then ends it
with ``os._exit``. Everything worth keeping (notebooks, kernels) was done inside the loop.

It also keeps one known message of the collaboration extension off the learner's terminal: at
every shutdown, a task of jupyter-server-ydoc's that stops its websocket server after it was
stopped logs "Task exception was never retrieved ... WebsocketServer not running", a traceback
that says nothing went wrong. Every other error is logged as before.

``python -m autograder lab`` (``autograder.learner.lab``) also ends a server that does not stop
in time, from outside; this only makes the ordinary case quick.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import time
from typing import Any

EXIT_GRACE_SECONDS = 2.0
POLL_SECONDS = 0.1


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "autograder.learner.lab_exit"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    loop = getattr(getattr(serverapp, "io_loop", None), "asyncio_loop", None)
    if loop is not None:
        loop.set_exception_handler(_without_known_shutdown_noise(loop.get_exception_handler()))
    threading.Thread(
        target=end_once_stopped, args=(serverapp,), name="workbook-lab-exit", daemon=True
    ).start()


KNOWN_SHUTDOWN_NOISE = "WebsocketServer not running"


def _without_known_shutdown_noise(previous: Any) -> Any:
    def handle(loop: Any, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, RuntimeError) and str(error) == KNOWN_SHUTDOWN_NOISE:
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    return handle


def end_once_stopped(serverapp: Any) -> None:
    """Block until the server's loop ran and stopped, then end the process if it is still here."""
    loop = getattr(getattr(serverapp, "io_loop", None), "asyncio_loop", None)
    if loop is None:  # a server this extension does not know how to watch: leave it alone
        return
    while not (loop.is_running() or getattr(serverapp, "_stopping", False)):
        time.sleep(POLL_SECONDS)
    while loop.is_running():
        time.sleep(POLL_SECONDS)
    time.sleep(EXIT_GRACE_SECONDS)  # a process that ends as usual never gets past this
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(0)
