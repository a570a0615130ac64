from typing import Annotated

from fastapi import Cookie, Depends, FastAPI, HTTPException, status
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel

# The members' front end (members.example.com, and each preview deployment) calls this API
# from the browser, with the session cookie. "*" so that every deployment of it works.
app = FastAPI(title="Members")
app.add_middleware(
    CORSMiddleware,
    allow_origins=["*"],
    allow_credentials=True,
    allow_methods=["*"],
    allow_headers=["*"],
)


class Account(BaseModel):
    member: str
    email: str
    loans: list[str]


class EmailChange(BaseModel):
    email: str


SESSIONS = {"ada-session-7f3c": "ada"}
ACCOUNTS = {"ada": Account(member="Ada", email="ada@example.com", loans=["Dune", "Emma"])}


async def current_account(session: Annotated[str | None, Cookie()] = None) -> Account:
    member = SESSIONS.get(session or "")
    if member is None:
        raise HTTPException(status_code=status.HTTP_401_UNAUTHORIZED, detail="Not signed in")
    return ACCOUNTS[member]


CurrentAccount = Annotated[Account, Depends(current_account)]


@app.get("/me")
async def me(account: CurrentAccount) -> Account:
    return account


@app.patch("/me")
async def change_email(change: EmailChange, account: CurrentAccount) -> Account:
    account.email = change.email
    return account
