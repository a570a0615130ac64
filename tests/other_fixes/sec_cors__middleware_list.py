from typing import Annotated

from fastapi import Cookie, Depends, FastAPI, HTTPException, status
from fastapi.middleware import Middleware
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    frontend_origins: tuple[str, ...] = ()


settings = Settings()

app = FastAPI(
    title="Members",
    middleware=[
        Middleware(
            CORSMiddleware,
            allow_origins=settings.frontend_origins,
            allow_credentials=True,
            allow_methods=("PATCH", "GET", "HEAD"),
            allow_headers=("content-type", "accept"),
        )
    ],
)


class Account(BaseModel):
    member: str
    email: str
    loans: list[str]


class EmailChange(BaseModel):
    email: str


SESSIONS = {"ada-session-7f3c": "ada"}
ACCOUNTS = {"ada": Account(member="Ada", email="ada@example.com", loans=["Dune", "Emma"])}


def current_account(session: Annotated[str | None, Cookie()] = None) -> Account:
    if session not in SESSIONS:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Not signed in")
    return ACCOUNTS[SESSIONS[session]]


@app.get("/me")
def me(account: Annotated[Account, Depends(current_account)]) -> Account:
    return account


@app.patch("/me")
def change_email(
    change: EmailChange, account: Annotated[Account, Depends(current_account)]
) -> Account:
    account.email = change.email
    return account
