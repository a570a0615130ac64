"""The library lesson 07 teaches for security headers, against the installed FastAPI: `secure`.

Its ASGI middleware puts the headers on every answer that passes through it: FastAPI's own
404, 405 and 422 included. An unhandled error answered by `@app.exception_handler(Exception)`
does not pass through it (Starlette's ServerErrorMiddleware wraps every middleware added), so
that 500 goes out bare; an error boundary added first (the innermost middleware) fixes it.
"""

from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.testclient import TestClient
from secure import Secure
from secure.middleware import SecureASGIMiddleware


class ErrorBoundary:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception:
            await JSONResponse({"detail": "Internal Server Error"}, 500)(scope, receive, send)


def _app(*, boundary: bool) -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        if item_id == 13:
            raise RuntimeError("unlucky")
        return {"id": item_id}

    if boundary:
        app.add_middleware(ErrorBoundary)
    else:

        @app.exception_handler(Exception)
        async def unexpected(request: Request, error: Exception) -> JSONResponse:
            return JSONResponse({"detail": "Internal Server Error"}, 500)

    app.add_middleware(SecureASGIMiddleware, secure=Secure.with_default_headers())
    return app


def _protected(response: Any) -> bool:
    return (
        response.headers.get("x-content-type-options") == "nosniff"
        and "default-src 'self'" in response.headers.get("content-security-policy", "")
        and response.headers.get("x-frame-options") == "SAMEORIGIN"
    )


@pytest.mark.parametrize(
    ("path", "status"), [("/items/1", 200), ("/nowhere", 404), ("/items/x", 422)]
)
def test_secure_headers_on_fastapis_own_answers(path: str, status: int) -> None:
    with TestClient(_app(boundary=False)) as client:
        response = client.get(path)
    assert response.status_code == status
    assert _protected(response), response.headers


def test_secure_headers_on_a_405() -> None:
    with TestClient(_app(boundary=False)) as client:
        response = client.delete("/items/1")
    assert response.status_code == 405 and _protected(response)


def test_the_trap_a_500_from_the_exception_handler_goes_out_bare() -> None:
    with TestClient(_app(boundary=False), raise_server_exceptions=False) as client:
        response = client.get("/items/13")
    assert response.status_code == 500
    assert "x-content-type-options" not in response.headers
    assert "content-security-policy" not in response.headers


def test_a_500_from_an_innermost_boundary_carries_the_headers() -> None:
    with TestClient(_app(boundary=True)) as client:
        response = client.get("/items/13")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal Server Error"}
    assert _protected(response), response.headers
