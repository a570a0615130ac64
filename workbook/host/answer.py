"""One answer process: set its limits, load the answer, serve its app, report what happened.

Forked by the zygote, so FastAPI and its friends are already imported. It is handed a
listening Unix socket (the checks hold the other end's path) and the write end of the report
pipe, and it never sees anything else of the checks.
"""

from __future__ import annotations

import asyncio
import os
import resource
import secrets
import signal
import sys
import warnings
from pathlib import Path
from typing import Any

from workbook.host import apps, clock, overrides, relay
from workbook.host.blocking import CURRENT_REQUEST, observe
from workbook.host.loading import LoadedAnswer, describe_error, load_cell, load_package
from workbook.host.protocol import (
    APP_CHOICE_HEADER,
    DOCS_PATH,
    PROBE_PATH,
    REQUEST_ID_HEADER,
    SWAGGER_ASSETS,
    upstream_env_name,
)
from workbook.host.report import Report, ReportedStream

MB = 1024 * 1024


def run(command: dict[str, Any], app_socket: Any, report_fd: int) -> None:
    """Everything the answer process does; it ends the process when the app stops."""
    report = Report(report_fd)
    report.hello()
    _limit(command)
    _quiet_output(report)
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in command.get("env", {}).items()})
    for name, url in relay.start(command.get("relays", {})).items():
        os.environ[upstream_env_name(name)] = url
    workdir = Path(command.get("workdir", "/tmp"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.chdir(workdir)
    env_file = command.get("env_file")
    if env_file:  # where pydantic-settings looks for `.env`: the directory the app starts in
        (workdir / ".env").write_text(str(env_file), encoding="utf-8")
    _report_warnings(report)
    clock.install()  # before the answer loads: its `from time import monotonic` gets it too

    loaded = _load(command, workdir)
    if not loaded.ok:
        assert loaded.error is not None
        report.emit("load-error", **describe_error(loaded.error, loaded.files))
        os._exit(3)
    app = _app_of(loaded.module, command, report, loaded.files)
    if not callable(app):
        report.emit(
            "load-error",
            type="NoApp",
            message="The code must define `app = FastAPI(...)` at module level.",
            line=None,
            code="",
            function=None,
            traceback="",
        )
        os._exit(3)
    try:
        for each in app.apps if isinstance(app, apps.AppChoice) else [app]:
            overrides.apply(each, loaded.module, command.get("overrides", {}))
    except overrides.OverrideError as error:
        report.emit(
            "load-error",
            type="NoDependency",
            message=str(error),
            line=None,
            code="",
            function=None,
            traceback="",
        )
        os._exit(3)
    report.emit("loaded", files=len(loaded.files))
    started = _serve(
        app, app_socket, report, loaded.files, command.get("lifespan_cycles") or {},
        command.get("uvicorn") or {},
    )  # fmt: skip
    report.emit("stopped", started=started)
    sys.stdout.flush()
    os._exit(0)


def _app_of(module: Any, command: dict[str, Any], report: Report, files: list[str]) -> Any:
    """The module's ``app``; or, for a factory, ``copies`` apps it builds, behind AppChoice."""
    factory_name = command.get("factory", "")
    if not factory_name:
        return getattr(module, command.get("app", "app"), None)
    factory = getattr(module, factory_name, None)
    if not callable(factory):
        report.emit(
            "load-error", type="NoApp",
            message=f"The code must define `def {factory_name}() -> FastAPI` at module level.",
            line=None, code="", function=None, traceback="",
        )  # fmt: skip
        os._exit(3)
    try:
        built = [factory() for _ in range(max(1, int(command.get("copies", 1))))]
    except BaseException as error:  # the answer's own factory failed
        report.emit("load-error", **describe_error(error, files))
        os._exit(3)
    return built[0] if len(built) == 1 else apps.AppChoice(built)


def _limit(command: dict[str, Any]) -> None:
    memory = int(command.get("memory_mb", 2048)) * MB
    seconds = int(command.get("cpu_seconds", 60))
    for limit, value in (
        (resource.RLIMIT_AS, memory),
        (resource.RLIMIT_CPU, seconds),
        (resource.RLIMIT_FSIZE, 64 * MB),
        (resource.RLIMIT_CORE, 0),
    ):
        _, hard = resource.getrlimit(limit)
        wanted = value if hard == resource.RLIM_INFINITY else min(value, hard)
        resource.setrlimit(limit, (wanted, hard if limit != resource.RLIMIT_CPU else wanted + 5))


def _quiet_output(report: Report) -> None:
    """What the answer prints goes to the report (capped), never to the checks' terminal."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    sys.stdout = ReportedStream(report, "stdout")  # type: ignore[assignment]
    sys.stderr = ReportedStream(report, "stderr")  # type: ignore[assignment]


def _report_warnings(report: Report) -> None:
    seen: set[tuple[str, str, int]] = set()

    def show(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
        key = (category.__name__, str(message), lineno)
        if key in seen:
            return
        seen.add(key)
        report.emit(
            "warning",
            category=category.__name__,
            category_module=category.__module__,
            message=str(message),
            filename=str(filename),
            line=lineno,
        )

    warnings.showwarning = show
    warnings.simplefilter("always")


def _load(command: dict[str, Any], workdir: Path) -> LoadedAnswer:
    if "files" in command:
        return load_package(workdir / "answer", command["files"], command["entry"])
    return load_cell(command["exercise"], command["source"])


# uvicorn options an exercise may change (``Exercise.served_over == "tcp"`` sets both False).
UVICORN_OPTIONS = ("proxy_headers", "server_header")


def _serve(
    app: Any,
    app_socket: Any,
    report: Report,
    files: list[str],
    cycles: dict[str, Any],
    options: dict[str, Any] | None = None,
) -> bool:
    import uvicorn

    hosted = HostedApp(app, report, files, cycles)
    chosen = {
        name: bool(value) for name, value in (options or {}).items() if name in UVICORN_OPTIONS
    }
    config = uvicorn.Config(
        hosted,
        lifespan="on",
        log_config=None,
        log_level="warning",
        access_log=False,
        http="h11",
        loop="asyncio",
        timeout_keep_alive=30,
        timeout_graceful_shutdown=2,
        **chosen,
    )
    server = _prompt_server_class()(config)
    # uvicorn re-raises the signal that stopped it once it has shut down; ignored, that lets
    # this process report that it stopped (uvicorn installs its own handler while serving).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    server.run(sockets=[app_socket])
    return bool(server.started)


def _prompt_server_class() -> type:
    import uvicorn

    class PromptServer(uvicorn.Server):
        """uvicorn's server, noticing a stop within 5 ms instead of its usual 100 ms.

        The checks stop one answer after another, hundreds in a classroom run.
        """

        async def main_loop(self) -> None:
            counter = 0
            while not await self.on_tick(counter):
                for _ in range(20):  # on_tick's own clock: one tick per 0.1 s
                    if self.should_exit:
                        return
                    await asyncio.sleep(0.005)
                counter = (counter + 1) % 864000

        async def shutdown(self, sockets: list[Any] | None = None) -> None:
            """uvicorn's shutdown steps, polling every 5 ms where uvicorn sleeps 0.1 s."""
            for server in self.servers:
                server.close()
            for sock in sockets or []:
                sock.close()
            for connection in list(self.server_state.connections):
                connection.shutdown()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.config.timeout_graceful_shutdown
            state = self.server_state
            while (state.connections or state.tasks) and not self.force_exit:
                if loop.time() > deadline:
                    for task in state.tasks:
                        task.cancel(msg="the answer is being stopped")
                    break
                await asyncio.sleep(0.005)
            if not self.force_exit:
                await self.lifespan.shutdown()

    return PromptServer


def as_a_client_sent_it(
    scope: dict[str, Any], *, choosing: bool = False
) -> tuple[dict[str, Any], str]:
    """The request as the app gets it, and the checks' id for it (empty if it had none).

    The checks number their requests (REQUEST_ID_HEADER) so that the report can say which one
    raised what; the id stays here, and the app never sees it: a request from the checks must
    look like any client's, or an answer could behave for the checks only (rate-limit them,
    answer them from a table). The socket the checks use is a Unix one, where uvicorn gives
    no client address; over TCP, as the app is deployed, it always has one, so the request
    gets one from loopback, as a client on the same machine would have. (An exercise served
    over TCP, ``served_over = "tcp"``, keeps the address the checks connected from.) The header that
    picks one of several apps stays only for the layer that picks (``choosing``), which
    takes it off in turn (``apps.AppChoice``).
    """
    request_id = ""
    headers = []
    for name, value in scope.get("headers", []):
        lowered = name.decode("latin-1").lower()
        if lowered == REQUEST_ID_HEADER:
            request_id = value.decode("latin-1")
        elif lowered == clock.CLOCK_HEADER:
            continue  # moves the host's clock (``clock.follow``); the app never sees it
        elif lowered != APP_CHOICE_HEADER or choosing:
            headers.append((name, value))
    served = {**scope, "headers": headers}
    if not served.get("client"):
        served["client"] = ("127.0.0.1", secrets.randbelow(28232) + 32768)  # Linux's ephemerals
    server = served.get("server")
    if not (isinstance(server, tuple | list) and len(server) == 2 and isinstance(server[1], int)):
        # A Unix socket's (path, None): over TCP the app has its host and port (uvicorn's own).
        served["server"] = ("127.0.0.1", 8000)
    return served, request_id


class HostedApp:
    """The learner's app behind a thin ASGI layer of the host's own.

    It answers the probe path itself (so that the checks can time the event loop without
    touching the app), names the request every blocking call and exception belongs to, and
    starts observing blocking calls once the app's lifespan has started.
    """

    def __init__(
        self, app: Any, report: Report, files: list[str], cycles: dict[str, Any] | None = None
    ) -> None:
        self.app = app
        self.report = report
        self.files = files
        self.cycles = cycles or {}
        self._seen_blocking: set[tuple[int | None, str]] = set()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == PROBE_PATH:
            await send({"type": "http.response.start", "status": 204, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        if scope["path"] == DOCS_PATH or scope["path"].startswith(SWAGGER_ASSETS):
            await _serve_docs(scope, send)
            return
        query = scope.get("query_string", b"").decode("latin-1")
        request = f"{scope['method']} {scope['path']}" + (f"?{query}" if query else "")
        choosing = isinstance(self.app, apps.AppChoice)
        clock.follow(scope)
        scope, request_id = as_a_client_sent_it(scope, choosing=choosing)
        token = CURRENT_REQUEST.set(request)
        answered = False

        async def watched_send(message: dict[str, Any]) -> None:
            nonlocal answered
            if message["type"] == "http.response.body" and not message.get("more_body"):
                answered = True
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except BaseException as error:
            self.report.emit(
                "app-error", request=request, request_id=request_id,
                **describe_error(error, self.files),
            )  # fmt: skip
            if answered:
                # Starlette re-raises after it has sent its 500, so that servers can log it;
                # uvicorn would then drop the connection under the client's feet.
                return
            if isinstance(error, SystemExit | KeyboardInterrupt):
                # Left alone, these would stop the whole server and every later request.
                raise RuntimeError(
                    f"{type(error).__name__} raised while handling {request}"
                ) from None
            raise
        finally:
            CURRENT_REQUEST.reset(token)

    async def _lifespan(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        async def watched_send(message: dict[str, Any]) -> None:
            if message["type"] == "lifespan.startup.complete":
                observe(self.files, self._record_blocking)
                self.report.emit("serving")
            await send(message)

        if self.cycles.get("count"):
            # Started and stopped before it serves, on the loop it serves on, as a test suite
            # or a reloading server does: what each run leaves open stays visible.
            count, path = int(self.cycles["count"]), str(self.cycles.get("path", "/"))
            plays = self.cycles.get("requests")
            for error in await apps.run_lifespans(self.app, count, path, plays):
                self.report.emit(
                    "app-error", request="lifespan", request_id="",
                    **describe_error(error, self.files),
                )  # fmt: skip
        try:
            await self.app(scope, receive, watched_send)
        except BaseException as error:
            self.report.emit(
                "app-error", request="lifespan", request_id="",
                **describe_error(error, self.files),
            )  # fmt: skip
            raise

    def _record_blocking(self, call: str, origin: dict[str, Any]) -> None:
        # One event per line of the answer and request: `requests.get` alone makes several
        # blocking calls (connect, send, receive), all on the learner's one line.
        key = (origin.get("line"), origin.get("request", ""))
        if key in self._seen_blocking or len(self._seen_blocking) > 200:
            return
        self._seen_blocking.add(key)
        self.report.emit("blocking", call=call, **origin)


async def _serve_docs(scope: dict[str, Any], send: Any) -> None:
    """The app's Swagger page, with Swagger UI from the fastapi-offline package's files.

    Every address the page uses is relative to the page, so it works wherever the app is
    reached: at its own address, or behind a path prefix such as the lab's ``/proxy/PORT/``
    (jupyter-server-proxy, as ``serve()`` shows it on JupyterHub or Binder).
    """
    import json
    import posixpath
    from importlib.resources import files

    static = Path(str(files("fastapi_offline") / "static"))

    if scope["path"] == DOCS_PATH:
        folder = posixpath.dirname(DOCS_PATH)  # what the page's relative addresses start from
        to_root = posixpath.relpath("/", folder) + "/"  # "../": the app's root
        assets = posixpath.relpath(SWAGGER_ASSETS, folder) + "/"  # "swagger/"
        # Swagger UI sends "Try it out" to the document's servers, by default the host's root:
        # behind a prefix that is not the app, so the page names the app's root as its server.
        # A document that fails to load is handed to Swagger UI by its address: it says why.
        page = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link type="text/css" rel="stylesheet" href="{assets}swagger-ui.css">
<link rel="shortcut icon" href="{assets}favicon.png">
<title>Your app</title>
</head>
<body>
<div id="swagger-ui"></div>
<script src="{assets}swagger-ui-bundle.js"></script>
<script>
const root = new URL({json.dumps(to_root)}, location.href);
const documentUrl = new URL("openapi.json", root).href;
function show(source) {{
  window.ui = SwaggerUIBundle({{
    ...source,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  }});
}}
fetch(documentUrl)
  .then((answer) => (answer.ok ? answer.json() : Promise.reject(answer.status)))
  .then(
    (spec) => {{
      if (root.pathname !== "/" && !spec.servers) {{
        spec.servers = [{{ url: root.href.replace(/\\/$/, "") }}];
      }}
      show({{ spec }});
    }},
    () => show({{ url: documentUrl }}),
  );
</script>
</body>
</html>
"""
        body, kind = page.encode(), b"text/html; charset=utf-8"
    else:
        name = scope["path"].removeprefix(SWAGGER_ASSETS)
        path = static / name
        if "/" in name or not path.is_file():
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        body = path.read_bytes()
        kinds = {".js": b"text/javascript", ".css": b"text/css", ".png": b"image/png"}
        kind = kinds.get(path.suffix, b"application/octet-stream")
    headers = [(b"content-type", kind), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
