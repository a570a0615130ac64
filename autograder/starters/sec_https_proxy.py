from fastapi import FastAPI, Request, status
from pydantic import BaseModel
from starlette.middleware.httpsredirect import HTTPSRedirectMiddleware

# The app runs behind a TLS-terminating proxy on the same machine (127.0.0.1): the proxy
# speaks https with browsers and plain http with the app, and says what it saw in
# X-Forwarded-Proto and X-Forwarded-For. The app must answer https only, on its own domain
# (ALLOWED_HOSTS in `.env`), and believe those headers from the proxy (TRUSTED_PROXIES) only.

app = FastAPI(title="Shop")
app.add_middleware(HTTPSRedirectMiddleware)


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
    forwarded = request.headers.get("x-forwarded-for")
    client = forwarded.split(",")[0].strip() if forwarded else request.client.host
    return Caller(scheme=request.url.scheme, client=client, host=request.url.hostname)


@app.get("/orders")
async def orders(page: int = 1) -> list[Order]:
    return [Order(id=page * 10 + n, item=f"item {n}") for n in range(3)]


@app.post("/orders", status_code=status.HTTP_201_CREATED)
async def place_order(order: NewOrder) -> Order:
    return Order(id=1, item=order.item)
