from functools import lru_cache

from fastapi import FastAPI, Request, status
from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.middleware.httpsredirect import HTTPSRedirectMiddleware


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

    @app.get("/whoami")
    async def whoami(request: Request) -> Caller:
        """What the app knows of the caller: the scheme, the client's address, the host."""
        forwarded = request.headers.get("x-forwarded-for")
        client = forwarded.split(",")[0].strip() if forwarded else request.client.host
        return Caller(scheme=request.url.scheme, client=client, host=request.url.hostname)

    @app.get("/orders")
    async def orders(page: int = 1) -> list[Order]:
        return [Order(id=page * 10 + n, item=f"item {n}") for n in range(3)]

    @app.post("/orders", status_code=status.HTTP_201_CREATED)
    async def place_order(order: NewOrder) -> Order:
        return Order(id=1, item=order.item)

    app.add_middleware(HTTPSRedirectMiddleware)
    return app


app = create_app(get_settings())
