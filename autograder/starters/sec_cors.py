from typing import Annotated

from fastapi import APIRouter, Cookie, Depends, FastAPI, HTTPException, status
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel


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


def create_app() -> FastAPI:
    app = FastAPI(title="Members")
    app.include_router(router)
    # The members' front end (members.example.com, and each preview deployment of it) calls
    # this API from the browser, with the session cookie. "*" so that every deployment works.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_credentials=True,  # the front end sends the session cookie
        allow_methods=["*"],
        allow_headers=["*"],
    )
    return app


app = create_app()
