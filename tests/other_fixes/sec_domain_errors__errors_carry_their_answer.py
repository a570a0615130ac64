import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, FastAPI, Path, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
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
    """A refusal, with what the client is told: a status and a sentence, nothing else."""

    status_code = 400
    detail = "Request refused"


class MemberNotFound(LibraryError):
    status_code, detail = 404, "Member not found"


class BookNotFound(LibraryError):
    status_code, detail = 404, "Book not found"


class EmailTaken(LibraryError):
    status_code, detail = 409, "E-mail address already in use"


class BookOnLoan(LibraryError):
    status_code, detail = 409, "Book already lent"


class LoanLimitReached(LibraryError):
    status_code, detail = 409, "Loan limit reached"


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


@app.exception_handler(LibraryError)
async def refused(request: Request, exc: LibraryError) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


@app.middleware("http")
async def unexpected_failures(request: Request, call_next):
    try:
        return await call_next(request)
    except Exception:
        incident = str(uuid.uuid4())
        log.exception("incident %s on %s %s", incident, request.method, request.url.path)
        return JSONResponse(
            {"detail": "Something went wrong on our side", "incident": incident},
            status_code=500,
            headers={"X-Request-ID": incident},
        )


class NewMember(BaseModel):
    name: str
    email: str


class Member(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    email: str


class NewLoan(BaseModel):
    member_id: int
    book_id: int


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
async def read_member(member_id: Annotated[int, Path()], circulation: CirculationDep) -> Member:
    return Member.model_validate(await circulation.member(member_id))


@app.post("/loans", status_code=status.HTTP_201_CREATED)
async def lend(new: NewLoan, circulation: CirculationDep) -> Loan:
    return Loan.model_validate(await circulation.lend(new.member_id, new.book_id))
