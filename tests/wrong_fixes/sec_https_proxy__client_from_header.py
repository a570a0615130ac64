# expect: expected the client 203.0.113.7
from collections.abc import Awaitable, Callable
from functools import lru_cache

from fastapi import FastAPI, Request, Response, status
from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.middleware.httpsredirect import HTTPSRedirectMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware


class Settings(BaseSettings):
    """Where the app is deployed: the names it answers to, and the proxy in front of it."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    allowed_hosts: list[str] = ["api.example.com"]
    # Only the TLS-terminating proxy may say which scheme and client a request came with.
    trusted_proxies: list[str] = ["127.0.0.1"]
    hsts_max_age: int = 31_536_000  # a year


@lru_cache
def get_settings() -> Settings:
    return Settings()


CallNext = Callable[[Request], Awaitable[Response]]


class Caller(BaseModel):
    scheme: str
    client: str | None
    host: str | None


class Order(BaseModel):
    id: int
    item: str


class NewOrder(BaseModel):
    item: str


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="Shop")
    hsts = f"max-age={settings.hsts_max_age}; includeSubDomains"

    @app.middleware("http")  # added first: the innermost layer, under the redirect
    async def strict_transport_security(request: Request, call_next: CallNext) -> Response:
        """HSTS on https answers (browsers ignore it over http, so it is not sent there)."""
        response = await call_next(request)
        if request.url.scheme == "https":
            response.headers["Strict-Transport-Security"] = hsts
        return response

    @app.get("/whoami")
    async def whoami(request: Request) -> Caller:
        """What the app knows of the caller: after the proxy layer, the real scheme and client."""
        forwarded = request.headers.get("x-forwarded-for", "")
        client = forwarded.split(",")[0].strip() or (
            request.client.host if request.client else None
        )
        return Caller(scheme=request.url.scheme, client=client, host=request.url.hostname)

    @app.get("/orders")
    async def orders(page: int = 1) -> list[Order]:
        return [Order(id=page * 10 + n, item=f"item {n}") for n in range(3)]

    @app.post("/orders", status_code=status.HTTP_201_CREATED)
    async def place_order(order: NewOrder) -> Order:
        return Order(id=1, item=order.item)

    # The last added is the outermost. Read from the outside in: the proxy's headers are
    # applied first (from the trusted proxy only), then the Host is checked, and only then is
    # plain http redirected, to a Host known to be ours.
    app.add_middleware(HTTPSRedirectMiddleware)
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    return app


app = create_app(get_settings())
