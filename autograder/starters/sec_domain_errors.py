"""Library circulation: members and loans.

The API promises: POST /members answers 201 with the new member, or 409 when the e-mail address
is registered already; GET /members/{id} answers the member, or 404; POST /loans answers 201
with the loan, 404 when the member or the book does not exist, 409 when the book is on loan
already or the member has the most loans allowed (MAX_LOANS, 2). Anything else that goes wrong
is a 500.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


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


class Circulation:
    """Members and loans."""

    def __init__(self, session: AsyncSession, max_loans: int) -> None:
        self.session = session
        self.max_loans = max_loans

    async def register(self, name: str, email: str) -> MemberRow:
        member = MemberRow(name=name, email=email)
        self.session.add(member)
        await self.session.commit()
        return member

    async def member(self, member_id: int) -> MemberRow:
        result = await self.session.execute(select(MemberRow).where(MemberRow.id == member_id))
        return result.scalar_one()

    async def lend(self, member_id: int, book_id: int) -> LoanRow:
        member = await self.member(member_id)
        book = await self.session.get(BookRow, book_id)
        if book is None:
            raise LookupError(f"no row in books with id={book_id}")
        current = await self.session.scalar(select(LoanRow).where(LoanRow.book_id == book_id))
        if current is not None:
            holder = await self.session.get(MemberRow, current.member_id)
            raise ValueError(
                f"book {book_id} is lent to member {holder.id} ({holder.email}) until {current.due}"
            )
        held = await self.session.scalar(
            select(func.count()).select_from(LoanRow).where(LoanRow.member_id == member_id)
        )
        if held >= self.max_loans:
            raise ValueError(f"{member.email} already holds {held} loans (limit {self.max_loans})")
        loan = LoanRow(
            book_id=book_id,
            member_id=member_id,
            due=(datetime.now(UTC).date() + timedelta(14)).isoformat(),
        )
        self.session.add(loan)
        await self.session.commit()
        return loan


@lru_cache
def engine_for(url: str) -> AsyncEngine:
    # One pool per database, made on first use.
    return create_async_engine(url)


async def get_circulation(settings: SettingsDep) -> AsyncIterator[Circulation]:
    async with AsyncSession(engine_for(settings.database_url), expire_on_commit=False) as session:
        yield Circulation(session, settings.max_loans)


CirculationDep = Annotated[Circulation, Depends(get_circulation)]

app = FastAPI(title="Library circulation")


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
    try:
        return Member.model_validate(await circulation.register(new.name, new.email))
    except Exception as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from exc


@app.get("/members/{member_id}")
async def read_member(member_id: Annotated[int, Path()], circulation: CirculationDep):
    try:
        return Member.model_validate(await circulation.member(member_id))
    except Exception as exc:
        return JSONResponse({"error": type(exc).__name__, "message": str(exc)}, status_code=404)


@app.post("/loans", status_code=status.HTTP_201_CREATED)
async def lend(new: NewLoan, circulation: CirculationDep) -> Loan:
    try:
        return Loan.model_validate(await circulation.lend(new.member_id, new.book_id))
    except LookupError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from exc
    except Exception as exc:
        raise HTTPException(status_code=409, detail=f"could not lend: {exc!r}") from exc
