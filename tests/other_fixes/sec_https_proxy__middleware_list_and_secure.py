# The layers listed in FastAPI(middleware=[...]), outermost first, and HSTS from the `secure`
# package (which sends it over http too: browsers ignore it there). Settings at module level.
from fastapi import FastAPI, Request
from fastapi.middleware import Middleware
from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict
from secure import Secure, StrictTransportSecurity
from secure.middleware import SecureASGIMiddleware
from starlette.middleware.httpsredirect import HTTPSRedirectMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    allowed_hosts: list[str]
    trusted_proxies: list[str]


settings = Settings()
headers = Secure(hsts=StrictTransportSecurity().max_age(63_072_000).include_subdomains())

app = FastAPI(
    title="Shop",
    middleware=[
        Middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies),
        Middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts),
        Middleware(HTTPSRedirectMiddleware),
        Middleware(SecureASGIMiddleware, secure=headers),
    ],
)


class Caller(BaseModel):
    scheme: str
    client: str | None
    host: str | None


class Order(BaseModel):
    id: int
    item: str


class NewOrder(BaseModel):
    item: str


@app.get("/whoami")
async def whoami(request: Request) -> Caller:
    client = request.client.host if request.client else None
    return Caller(scheme=request.url.scheme, client=client, host=request.url.hostname)


@app.get("/orders")
async def orders(page: int = 1) -> list[Order]:
    return [Order(id=page * 10 + n, item=f"item {n}") for n in range(3)]


@app.post("/orders", status_code=201)
async def place_order(order: NewOrder) -> Order:
    return Order(id=1, item=order.item)
