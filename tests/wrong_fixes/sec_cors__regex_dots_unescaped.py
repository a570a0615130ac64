# expect: a site the member merely visits reads their account
from functools import lru_cache
from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, FastAPI, HTTPException, status
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """The app's configuration, read from the environment and `.env`."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    # The sites whose pages may read answers with the member's cookie: exact origins
    # (scheme, host, port), e.g. ["https://members.example.com"]. None by default.
    frontend_origins: list[str] = []


@lru_cache
def get_settings() -> Settings:
    return Settings()


class Account(BaseModel):
    member: str
    email: str
    loans: list[str]


class EmailChange(BaseModel):
    email: str


# Who each session cookie belongs to (a real app keeps sessions in its store).
SESSIONS = {"ada-session-7f3c": "ada"}
ACCOUNTS = {"ada": Account(member="Ada", email="ada@example.com", loans=["Dune", "Emma"])}


async def current_account(session: Annotated[str | None, Cookie()] = None) -> Account:
    member = SESSIONS.get(session or "")
    if member is None:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Not signed in")
    return ACCOUNTS[member]


CurrentAccount = Annotated[Account, Depends(current_account)]


router = APIRouter()


@router.get("/me")
async def me(account: CurrentAccount) -> Account:
    return account


@router.patch("/me")
async def change_email(change: EmailChange, account: CurrentAccount) -> Account:
    account.email = change.email
    return account


def create_app(settings: Settings) -> FastAPI:
    app = FastAPI(title="Members")
    app.include_router(router)
    app.add_middleware(
        CORSMiddleware,
        allow_origin_regex="|".join(settings.frontend_origins),
        allow_credentials=True,  # the front end sends the session cookie
        allow_methods=["GET", "PATCH"],  # what the front end calls, nothing more
        allow_headers=["Content-Type"],
    )
    return app


app = create_app(get_settings())
