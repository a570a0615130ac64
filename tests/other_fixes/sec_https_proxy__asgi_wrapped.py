# The FastAPI app wrapped by hand at ASGI level, outermost last; a comma-separated proxy list;
# HSTS set on every answer by an http middleware (over http browsers ignore it).
from functools import lru_cache

from fastapi import FastAPI, Request
from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.middleware.httpsredirect import HTTPSRedirectMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    allowed_hosts: list[str] = ["api.example.com"]
    trusted_proxies: list[str] = ["127.0.0.1"]


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


api = FastAPI(title="Shop")


@api.middleware("http")
async def hsts(request: Request, call_next):
    response = await call_next(request)
    response.headers["strict-transport-security"] = "max-age=31536000"
    return response


@api.get("/whoami")
async def whoami(request: Request) -> Caller:
    client = request.client.host if request.client else None
    return Caller(scheme=request.url.scheme, client=client, host=request.url.hostname)


@api.get("/orders")
async def orders(page: int = 1) -> list[Order]:
    return [Order(id=page * 10 + n, item=f"item {n}") for n in range(3)]


@api.post("/orders", status_code=201)
async def place_order(order: NewOrder) -> Order:
    return Order(id=1, item=order.item)


settings = get_settings()
app = ProxyHeadersMiddleware(
    TrustedHostMiddleware(HTTPSRedirectMiddleware(api), allowed_hosts=settings.allowed_hosts),
    trusted_hosts=",".join(settings.trusted_proxies),
)
