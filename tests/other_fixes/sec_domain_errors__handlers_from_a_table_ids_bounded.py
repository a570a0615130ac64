import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, FastAPI, Path, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

log = logging.getLogger("library")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str  # from DATABASE_URL
    max_loans: int = 2


@lru_cache
def get_settings() -> Settings:
    return Settings()


SettingsDep = Annotated[Settings, Depends(get_settings)]


class Base(DeclarativeBase):
    pass


class MemberRow(Base):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    email: Mapped[str]
    role: Mapped[str] = mapped_column(default="member")


class BookRow(Base):
    __tablename__ = "books"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]


class LoanRow(Base):
    __tablename__ = "loans"

    id: Mapped[int] = mapped_column(primary_key=True)
    book_id: Mapped[int]
    member_id: Mapped[int]
    due: Mapped[str]


# --- the service's own errors: what it expects to refuse, and nothing about how it stores it ---


class LibraryError(Exception):
    """Something the library refuses. Raised without text: the HTTP layer decides the words."""


class MemberNotFound(LibraryError):
    pass


class BookNotFound(LibraryError):
    pass


class EmailTaken(LibraryError):
    pass


class BookOnLoan(LibraryError):
    pass


class LoanLimitReached(LibraryError):
    pass


class Circulation:
    """Members and loans. Speaks in domain errors; the database's own never leave it."""

    def __init__(self, session: AsyncSession, max_loans: int) -> None:
        self.session = session
        self.max_loans = max_loans

    async def register(self, name: str, email: str) -> MemberRow:
        member = MemberRow(name=name, email=email)
        self.session.add(member)
        try:
            await self.session.commit()
        except IntegrityError:
            # members.email is UNIQUE: the only constraint a new member can break.
            await self.session.rollback()
            raise EmailTaken from None
        return member

    async def member(self, member_id: int) -> MemberRow:
        member = await self.session.get(MemberRow, member_id)
        if member is None:
            raise MemberNotFound
        return member

    async def lend(self, member_id: int, book_id: int) -> LoanRow:
        await self.member(member_id)
        if await self.session.get(BookRow, book_id) is None:
            raise BookNotFound
        if await self.session.scalar(select(LoanRow.id).where(LoanRow.book_id == book_id)):
            raise BookOnLoan
        held = await self.session.scalar(
            select(func.count()).select_from(LoanRow).where(LoanRow.member_id == member_id)
        )
        if held >= self.max_loans:
            raise LoanLimitReached
        loan = LoanRow(
            book_id=book_id,
            member_id=member_id,
            due=(datetime.now(UTC).date() + timedelta(14)).isoformat(),
        )
        self.session.add(loan)
        await self.session.commit()
        return loan


# --- HTTP ------------------------------------------------------------------------------------


@lru_cache
def engine_for(url: str) -> AsyncEngine:
    # One pool per database, made on first use.
    return create_async_engine(url)


async def get_circulation(settings: SettingsDep) -> AsyncIterator[Circulation]:
    async with AsyncSession(engine_for(settings.database_url), expire_on_commit=False) as session:
        yield Circulation(session, settings.max_loans)


CirculationDep = Annotated[Circulation, Depends(get_circulation)]

app = FastAPI(title="Library circulation")

# The one place domain errors become HTTP answers: a fixed status and a fixed, safe detail.
ANSWERS: dict[type[LibraryError], tuple[int, str]] = {
    MemberNotFound: (status.HTTP_404_NOT_FOUND, "No such member"),
    BookNotFound: (status.HTTP_404_NOT_FOUND, "No such book"),
    EmailTaken: (status.HTTP_409_CONFLICT, "This e-mail address is already registered"),
    BookOnLoan: (status.HTTP_409_CONFLICT, "This book is already on loan"),
    LoanLimitReached: (status.HTTP_409_CONFLICT, "The member already has the most loans allowed"),
}


def answer_with(status_code: int, detail: str):
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": detail}, status_code=status_code)

    return handler


for error, (status_code, detail) in ANSWERS.items():
    app.add_exception_handler(error, answer_with(status_code, detail))


@app.exception_handler(Exception)
async def failed(request: Request, exc: Exception) -> JSONResponse:
    # The detail stays on the server, under an id the client can quote to support.
    request_id = uuid.uuid4().hex
    log.error(
        "request %s (%s %s) failed", request_id, request.method, request.url.path, exc_info=exc
    )
    return JSONResponse(
        {"detail": "Internal Server Error", "request_id": request_id},
        status_code=status.HTTP_500_INTERNAL_SERVER_ERROR,
        headers={"X-Request-ID": request_id},
    )


class NewMember(BaseModel):
    name: str
    email: str


class Member(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str


RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]  # what an SQLite INTEGER holds


class NewLoan(BaseModel):
    member_id: RowId
    book_id: RowId


class Loan(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    member_id: int
    book_id: int
    due: str


@app.post("/members", status_code=status.HTTP_201_CREATED)
async def register(new: NewMember, circulation: CirculationDep) -> Member:
    return Member.model_validate(await circulation.register(new.name, new.email))


@app.get("/members/{member_id}")
async def read_member(
    member_id: Annotated[int, Path(ge=1, le=2**63 - 1)], circulation: CirculationDep
) -> Member:
    return Member.model_validate(await circulation.member(member_id))


@app.post("/loans", status_code=status.HTTP_201_CREATED)
async def lend(new: NewLoan, circulation: CirculationDep) -> Loan:
    return Loan.model_validate(await circulation.lend(new.member_id, new.book_id))
