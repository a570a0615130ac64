"""The Swagger page ``serve()`` shows works behind any path prefix, and serve() finds the lab's.

On JupyterHub or Binder the browser reaches the served app through the lab's server, at
``{base_url}proxy/PORT/`` (jupyter-server-proxy strips that prefix before the app sees the
request). The page's addresses are relative to the page, so they resolve under the prefix as
they do at the app's own address; what the browser shows is in test_browser_jupyterlab.py.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import re
import threading
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from autograder.learner import notebook
from workbook.host.answer import _serve_docs
from workbook.host.protocol import DOCS_PATH, SWAGGER_ASSETS

PREFIXES = ("", "/proxy/8123", "/user/ann/proxy/8123")


def _get(path: str) -> tuple[int, dict[bytes, bytes], bytes]:
    """What the answer host answers for ``path`` (one it hands to ``_serve_docs``)."""
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(_serve_docs({"type": "http", "method": "GET", "path": path}, send))
    return sent[0]["status"], dict(sent[0]["headers"]), sent[1]["body"]


class _Addresses(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [value for name, value in attrs if name in {"href", "src"} and value]


def _page_addresses() -> tuple[list[str], str]:
    """The page's href and src addresses, and the app's root its script computes."""
    status, headers, body = _get(DOCS_PATH)
    assert status == 200 and headers[b"content-type"].startswith(b"text/html")
    page = body.decode()
    parser = _Addresses()
    parser.feed(page)
    root = re.search(r"const root = new URL\((\"[^\"]*\"), location\.href\)", page)
    assert root, "the page computes the app's root from its own address"
    assert 'new URL("openapi.json", root)' in page
    return parser.found, json.loads(root.group(1))


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_address_of_the_page_resolves_under_the_prefix(prefix: str) -> None:
    page_url = f"http://lab.example{prefix}{DOCS_PATH}"
    addresses, root = _page_addresses()
    assert addresses, "the page loads Swagger UI's files"
    for address in addresses:
        assert not urlsplit(address).scheme and not address.startswith("/"), address
        path = urlsplit(urljoin(page_url, address)).path
        # The prefix, then what the app serves there once the proxy has taken the prefix off.
        assert path.startswith(f"{prefix}{SWAGGER_ASSETS}"), (address, path)
        status, _, body = _get(path.removeprefix(prefix))
        assert status == 200 and body, path
    app_root = urljoin(page_url, root)
    assert urlsplit(app_root).path == f"{prefix}/"
    assert urlsplit(urljoin(app_root, "openapi.json")).path == f"{prefix}/openapi.json"


def test_the_page_loads_swagger_ui_and_names_the_app_as_the_server_behind_a_prefix() -> None:
    addresses, _ = _page_addresses()
    names = {address.rsplit("/", 1)[-1] for address in addresses}
    assert {"swagger-ui-bundle.js", "swagger-ui.css"} <= names
    page = _get(DOCS_PATH)[2].decode()
    # "Try it out" goes to the document's servers, by default the host's root: behind a
    # prefix the page names the app's root instead (a document's own servers are kept).
    assert 'if (root.pathname !== "/" && !spec.servers)' in page


def test_an_asset_outside_swagger_ui_s_folder_is_not_served() -> None:
    assert _get(f"{SWAGGER_ASSETS}../pyproject.toml")[0] == 404
    assert _get(f"{SWAGGER_ASSETS}no-such-file.js")[0] == 404


# --- where serve() shows the page --------------------------------------------------------------


@pytest.fixture
def kernel_of_a_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This process as a kernel a Jupyter server started; the server's info file to write."""
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    monkeypatch.setenv("JPY_PARENT_PID", "4242")
    monkeypatch.delenv("JUPYTERHUB_SERVICE_PREFIX", raising=False)
    return tmp_path / "jpserver-4242.json"


@pytest.fixture
def server_without_proxy() -> Iterator[str]:
    """A server that answers 404 for every path, as Jupyter's does for /proxy/ without the proxy."""

    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_error(404)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/user/ann/"
    finally:
        server.shutdown()
        server.server_close()


def test_serve_shows_the_page_through_the_servers_base_url(kernel_of_a_server: Path) -> None:
    kernel_of_a_server.write_text(json.dumps({"pid": 4242, "base_url": "/user/ann/"}))
    assert notebook._docs_through_the_lab(8123, DOCS_PATH) == (
        f"/user/ann/proxy/8123{DOCS_PATH}",
        "",
    )


def test_a_hubs_prefix_stands_in_for_an_unreadable_server_file(
    kernel_of_a_server: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/bo")
    assert notebook._docs_through_the_lab(8123, DOCS_PATH)[0] == f"/user/bo/proxy/8123{DOCS_PATH}"


def test_outside_a_jupyter_server_the_page_is_shown_directly(
    kernel_of_a_server: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert notebook._docs_through_the_lab(8123, DOCS_PATH) == (None, "")
    monkeypatch.delenv("JPY_PARENT_PID")
    assert notebook._docs_through_the_lab(8123, DOCS_PATH) == (None, "")


def test_a_server_without_the_proxy_gets_the_direct_page_and_says_why(
    kernel_of_a_server: Path, server_without_proxy: str
) -> None:
    info = {"pid": 4242, "base_url": "/user/ann/", "url": server_without_proxy, "token": "t"}
    kernel_of_a_server.write_text(json.dumps(info))
    shown, why = notebook._docs_through_the_lab(8123, DOCS_PATH)
    assert shown is None
    assert "no jupyter-server-proxy" in why and "pip install jupyter-server-proxy" in why
