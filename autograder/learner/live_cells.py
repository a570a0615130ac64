"""The exercise cells as they are on screen, read and written through the Jupyter server.

A kernel only sees the code of cells that were run. With real-time collaboration's shared
documents (jupyter-server-ydoc and jupyter-docprovider, on in ``make lab``), the server holds
every open notebook's live contents, unsaved edits included. This module is two halves:

- a Jupyter server extension (``_load_jupyter_server_extension``) that answers
  ``GET /workbook/exercise-cells?path=NOTEBOOK`` with the source of each exercise cell, and
  ``PUT`` the same with ``{"exercise": ID, "source": TEXT}`` to replace one cell's source (and
  clear its outputs) in the live document (every open view of the notebook shows it at once);
- the kernel's side (``read``, ``write``): finds its server in Jupyter's runtime folder, and
  the notebook it serves from the session's name (``JPY_SESSION_NAME``).

Where any of that is missing (a plain ``jupyter notebook``, nbclient, a terminal), ``read``
returns None and ``write`` returns False, and the callers fall back on what the kernel ran.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ROUTE = "/workbook/exercise-cells"
TIMEOUT_SECONDS = 3.0


# --- the server's half ------------------------------------------------------------------------


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "autograder.learner.live_cells"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    from jupyter_server.base.handlers import APIHandler
    from jupyter_server.utils import url_path_join
    from tornado import web

    def ydoc_extension() -> Any:
        apps = serverapp.extension_manager.extension_apps.get("jupyter_server_ydoc", set())
        return next(iter(apps), None)

    async def live_notebook(path: str, *, copy: bool) -> Any:
        extension = ydoc_extension()
        if extension is None:
            raise web.HTTPError(404, "shared documents are off in this server")
        document = await extension.get_document(
            path=path, content_type="notebook", file_format="json", copy=copy
        )
        if document is None:
            raise web.HTTPError(404, f"{path} is not open")
        return document

    class ExerciseCells(APIHandler):  # type: ignore[misc]
        @web.authenticated
        async def get(self) -> None:
            notebook = await live_notebook(self.get_argument("path"), copy=True)
            cells = {}
            for index in range(len(notebook.ycells)):
                cell = notebook.get_cell(index)
                exercise = _exercise_of(cell)
                if exercise and exercise not in cells:
                    cells[exercise] = _text(cell.get("source", ""))
            self.finish(json.dumps({"cells": cells}))

        @web.authenticated
        async def put(self) -> None:
            body = json.loads(self.request.body or b"{}")
            exercise = body.get("exercise")
            notebook = await live_notebook(str(body.get("path", "")), copy=False)
            cells = [notebook.get_cell(index) for index in range(len(notebook.ycells))]
            found = [i for i, cell in enumerate(cells) if _exercise_of(cell) == exercise]
            if not found:
                raise web.HTTPError(404, "no such exercise cell in the notebook")
            # The verdicts on screen (under the exercise cell and in its check cell) were about
            # the code the cell no longer holds: they go with it.
            stale = [i for i, cell in enumerate(cells) if _checked_exercise(cell) == exercise]
            with notebook.ydoc.transaction():
                text = notebook.ycells[found[0]]["source"]
                text.clear()
                text.insert(0, str(body.get("source", "")))
                for index in (found[0], *stale):
                    ycell = notebook.ycells[index]
                    if "outputs" in ycell:
                        ycell["outputs"].clear()
                    ycell["execution_count"] = None
            self.finish(json.dumps({"replaced": True}))

    pattern = url_path_join(serverapp.web_app.settings["base_url"], ROUTE)
    serverapp.web_app.add_handlers(".*$", [(pattern, ExerciseCells)])


def _exercise_of(cell: dict[str, Any]) -> str:
    marks = cell.get("metadata", {}).get("workbook", {})
    return str(marks.get("exercise", "")) if marks.get("role") == "exercise" else ""


def _checked_exercise(cell: dict[str, Any]) -> str:
    marks = cell.get("metadata", {}).get("workbook", {})
    return str(marks.get("exercise", "")) if marks.get("role") == "check" else ""


def _text(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


# --- the kernel's half --------------------------------------------------------------------------


def _server_and_path() -> tuple[dict[str, Any], str] | None:
    """This kernel's server (url, token) and its notebook's path on that server."""
    session = os.environ.get("JPY_SESSION_NAME")
    if not session:
        return None
    try:
        from jupyter_server.serverapp import list_running_servers
    except ImportError:
        return None
    notebook = Path(session)
    for server in list_running_servers():
        root = Path(server.get("root_dir", ""))
        if notebook.is_absolute():
            try:
                relative = notebook.relative_to(root)
            except ValueError:
                continue
        else:
            relative = notebook
            if not (root / relative).exists():
                continue
        return server, relative.as_posix()
    return None


def _request(method: str, payload: dict[str, Any] | None = None) -> dict[str, Any] | None:
    import httpx

    found = _server_and_path()
    if found is None:
        return None
    server, path = found
    url = server["url"].rstrip("/") + ROUTE
    headers = {"Authorization": f"token {server.get('token', '')}"}
    try:
        if method == "GET":
            response = httpx.get(
                url, params={"path": path}, headers=headers, timeout=TIMEOUT_SECONDS
            )
        else:
            body = {"path": path, **(payload or {})}
            response = httpx.put(url, json=body, headers=headers, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    try:
        answer = response.json()
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


def read() -> dict[str, str] | None:
    """Each exercise cell's source as it is on screen now, or None where that cannot be known."""
    answer = _request("GET")
    cells = answer.get("cells") if answer else None
    return {str(k): str(v) for k, v in cells.items()} if isinstance(cells, dict) else None


def write(exercise_id: str, source: str) -> bool:
    """Replace the exercise cell's source on screen; False where that cannot be done."""
    answer = _request("PUT", {"exercise": exercise_id, "source": source})
    return bool(answer and answer.get("replaced"))
