# expect: the loan is still in the database
import hashlib
from collections.abc import AsyncIterator
from datetime import date, timedelta
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str  # from DATABASE_URL


@lru_cache
def get_settings() -> Settings:
    return Settings()


SettingsDep = Annotated[Settings, Depends(get_settings)]


@lru_cache
def engine_for(url: str) -> AsyncEngine:
    # One pool per database (lesson 05 moves it into the app's lifespan, where it is closed).
    return create_async_engine(url)


async def get_db(settings: SettingsDep) -> AsyncIterator[AsyncSession]:
    """One session per request, closed when the response is done, whatever happened."""
    async with AsyncSession(engine_for(settings.database_url), expire_on_commit=False) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_db)]


class Base(DeclarativeBase):
    pass


class BookRow(Base):
    __tablename__ = "books"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    author: Mapped[str]
    shelf: Mapped[str]


class MemberRow(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    email: Mapped[str]
    role: Mapped[str]


class TokenRow(Base):
    __tablename__ = "tokens"

    token_hash: Mapped[str] = mapped_column(primary_key=True)
    member_id: Mapped[int]


class LoanRow(Base):
    __tablename__ = "loans"

    id: Mapped[int] = mapped_column(primary_key=True)
    book_id: Mapped[int]
    member_id: Mapped[int]
    due: Mapped[str]


class Member(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str


class LoanIn(BaseModel):
    book_id: Annotated[int, Field(ge=1)]


class Loan(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    book_id: int
    due: str


LOAN_DAYS = 21
TODAY = date(2031, 4, 20)  # the library's calendar, fixed so that answers can be compared

bearer = HTTPBearer(auto_error=False)


async def current_member(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    session: SessionDep,
) -> MemberRow:
    """The member whose bearer token came with the request; 401 for none or an unknown one."""
    member = None
    if credentials is not None:
        digest = hashlib.sha256(credentials.credentials.encode()).hexdigest()
        token = await session.get(TokenRow, digest)
        member = await session.get(MemberRow, token.member_id) if token is not None else None
    if member is None:
        raise HTTPException(
            status_code=status.HTTP_401_UNAUTHORIZED,
            detail="Sign in: send your token as `Authorization: Bearer <token>`",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return member


CurrentMember = Annotated[MemberRow, Depends(current_member)]
app = FastAPI(title="Library loans")


@app.get("/me")
async def who_am_i(member: CurrentMember) -> Member:
    return Member.model_validate(member)


@app.get("/me/loans")
async def my_loans(member: CurrentMember, session: SessionDep) -> list[Loan]:
    rows = await session.scalars(
        select(LoanRow).where(LoanRow.member_id == member.id).order_by(LoanRow.id)
    )
    return [Loan.model_validate(row) for row in rows]


@app.post("/me/loans", status_code=status.HTTP_201_CREATED)
async def borrow(wanted: LoanIn, member: CurrentMember, session: SessionDep) -> Loan:
    due = (TODAY + timedelta(days=LOAN_DAYS)).isoformat()
    row = LoanRow(book_id=wanted.book_id, member_id=member.id, due=due)
    session.add(row)
    await session.commit()
    return Loan.model_validate(row)


@app.delete("/me/loans/{loan_id}", status_code=status.HTTP_204_NO_CONTENT)
async def give_back(
    loan_id: Annotated[int, Path(ge=1)], member: CurrentMember, session: SessionDep
) -> None:
    row = await session.get(LoanRow, loan_id)
    if row is None or row.member_id != member.id:  # someone else's loan is none of yours
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such loan of yours")
    await session.delete(row)
    pass
