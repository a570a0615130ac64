"""sec-headers: FastAPI's /docs still works in a browser with the CSP the reference sends there.

The reference sends `default-src 'none'` on every answer but /docs, where Swagger UI loads
from cdn.jsdelivr.net and starts from one inline script. Each app is served by uvicorn on a
loopback port and opened in headless Chromium; the CDN's files are answered from the
fastapi-offline package's copies (the machine may have no network), which changes nothing
the policy decides: the browser checks the policy before it asks the network. The wrong fix
that sends the strict policy on /docs too shows a blank page and the browser's violations.
"""

from __future__ import annotations

import importlib.util
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from autograder import registry
from autograder.authoring import chromium

ROOT = registry.project_root()
STATIC = Path(str(files("fastapi_offline") / "static"))
CDN = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/"
PAGE_MS = 20_000


@pytest.fixture
def browser() -> Iterator[Any]:
    try:
        chromium.chromium_path()
    except chromium.ChromiumMissing as error:
        pytest.skip(str(error))
    with chromium.headless_chromium() as launched:
        yield launched


def _app_of(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(f"docs_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.app


@contextmanager
def _served(app: Any) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="error", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


def _open_docs(browser: Any, base: str) -> tuple[Any, list[str]]:
    page = browser.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )

    def from_the_package(route: Any) -> None:
        name = route.request.url.removeprefix(CDN)
        kind = "text/css" if name.endswith(".css") else "application/javascript"
        route.fulfill(status=200, content_type=kind, body=(STATIC / name).read_bytes())

    page.route(f"{CDN}*", from_the_package)
    page.route("https://fastapi.tiangolo.com/**", lambda route: route.fulfill(status=404))
    page.goto(f"{base}/docs")
    return page, violations


def test_the_references_docs_page_works_with_its_policy(browser: Any) -> None:
    with _served(_app_of(ROOT / "solutions" / "sec_headers.py")) as base:
        page, violations = _open_docs(browser, base)
        page.wait_for_selector(".swagger-ui .info .title", timeout=PAGE_MS)
        assert "Shared notes" in page.inner_text(".swagger-ui .info .title")
        page.wait_for_selector(".opblock-summary-path", timeout=PAGE_MS)  # the operations
        paths = page.locator(".opblock-summary-path").all_inner_texts()
        assert any("/notes/{note_id}/preview" in path for path in paths), paths
        assert not violations, violations
        page.close()


def test_the_strict_policy_on_docs_leaves_the_page_blank(browser: Any) -> None:
    wrong = ROOT / "tests" / "wrong_fixes" / "sec_headers__docs_page_blocked.py"
    with _served(_app_of(wrong)) as base:
        page, violations = _open_docs(browser, base)
        deadline = time.monotonic() + PAGE_MS / 1000
        while not violations and time.monotonic() < deadline:
            page.wait_for_timeout(50)
        assert violations, "the browser reported no violation"
        page.wait_for_load_state("load")
        assert page.locator(".swagger-ui .info .title").count() == 0
        page.close()
