# expect: a list of librarians it had kept from before the change
import hashlib
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict
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
    role: str


class RoleChange(BaseModel):
    role: Literal["member", "librarian"]


class Loan(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    book_id: int
    member_id: int
    due: str


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


# Who the librarians are, read once: the roles hardly ever change.
librarian_ids: set[int] = set()


async def require_librarian(member: CurrentMember, session: SessionDep) -> MemberRow:
    if not librarian_ids:
        found = await session.scalars(select(MemberRow.id).where(MemberRow.role == "librarian"))
        librarian_ids.update(found)
    if member.id not in librarian_ids:
        raise HTTPException(status_code=status.HTTP_403_FORBIDDEN, detail="Librarians only")
    return member


# Every route of this router needs a librarian: declared once, so no route can forget it.
admin = APIRouter(prefix="/admin", tags=["admin"], dependencies=[Depends(require_librarian)])


@admin.get("/members")
async def list_members(session: SessionDep) -> list[Member]:
    rows = await session.scalars(select(MemberRow).order_by(MemberRow.id))
    return [Member.model_validate(row) for row in rows]


@admin.patch("/members/{member_id}")
async def change_role(
    member_id: Annotated[int, Path(ge=1)], change: RoleChange, session: SessionDep
) -> Member:
    row = await session.get(MemberRow, member_id)
    if row is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such member")
    row.role = change.role
    await session.commit()
    return Member.model_validate(row)


@admin.get("/loans")
async def list_loans(session: SessionDep) -> list[Loan]:
    rows = await session.scalars(select(LoanRow).order_by(LoanRow.id))
    return [Loan.model_validate(row) for row in rows]


@admin.delete("/loans/{loan_id}", status_code=status.HTTP_204_NO_CONTENT)
async def cancel_loan(loan_id: Annotated[int, Path(ge=1)], session: SessionDep) -> None:
    row = await session.get(LoanRow, loan_id)
    if row is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such loan")
    await session.delete(row)
    await session.commit()


app = FastAPI(title="Library administration")
app.include_router(admin)
