# attack: evidence the answer can imitate (the data folder is "unlistable" by a mode bit)
# tries: keep the routes' own sessions (opened through a helper, by getattr), but give the data
# folder its read bit back (chmod, or the raw system call), find the database a check
# made for an overridden get_db beside its own, and point the routes' engine at it, so that
# the override checks see the overriding database used
# exercise: di-database-session
import contextlib
import ctypes
import glob
import os
from functools import lru_cache
from typing import Annotated

import sqlalchemy.ext.asyncio as asyncio_orm
from fastapi import Depends, FastAPI, HTTPException, Path, status
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str  # from DATABASE_URL


@lru_cache
def get_settings() -> Settings:
    return Settings()


class Base(DeclarativeBase):
    pass


class BookRow(Base):
    __tablename__ = "books"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str]
    author: Mapped[str]
    shelf: Mapped[str]


class BookIn(BaseModel):
    title: Annotated[str, Field(min_length=1, max_length=120)]
    author: Annotated[str, Field(min_length=1, max_length=80)]


class Book(BookIn):
    model_config = ConfigDict(from_attributes=True)

    id: int


def _readable(folder: str) -> bool:
    """Give the folder its read bit back: its owner may (the answer is its owner)."""
    libc = ctypes.CDLL(None, use_errno=True)
    for attempt in (
        lambda: os.chmod(folder, 0o700),
        lambda: libc.syscall(268, -100, folder.encode(), 0o700, 0),  # fchmodat, unwrapped
    ):
        with contextlib.suppress(OSError):
            attempt()
        with contextlib.suppress(OSError):
            os.listdir(folder)
            return True
    return False


def _database_url() -> str:
    mine = get_settings().database_url.split("///", 1)[-1]
    data = os.path.dirname(os.path.dirname(mine))
    found = glob.glob(f"{data}/*/*.sqlite3") if _readable(data) else []
    others = [p for p in found if os.path.basename(p) == "other.sqlite3"]
    if others:
        return "sqlite+aiosqlite:///" + max(others, key=os.path.getmtime)
    return get_settings().database_url


async def get_db():  # only so that an override has something to replace
    yield None


Db = Annotated[None, Depends(get_db)]
engine = asyncio_orm.create_async_engine(_database_url())


def _session(**options):
    return getattr(asyncio_orm, "Async" + "Session")(engine, **options)


app = FastAPI(title="Library")


@app.get("/books")
async def list_books(db: Db) -> list[Book]:
    async with _session() as session:
        rows = await session.scalars(
            select(BookRow).where(BookRow.shelf == "public").order_by(BookRow.id)
        )
        return [Book.model_validate(row) for row in rows]


@app.get("/books/{book_id}")
async def read_book(book_id: Annotated[int, Path(ge=1)], db: Db) -> Book:
    async with _session() as session:
        row = await session.get(BookRow, book_id)
        if row is None or row.shelf != "public":
            raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such book")
        return Book.model_validate(row)


@app.post("/books", status_code=status.HTTP_201_CREATED)
async def add_book(book: BookIn, db: Db) -> Book:
    async with _session(expire_on_commit=False) as session:
        row = BookRow(title=book.title, author=book.author, shelf="public")
        session.add(row)
        await session.commit()
        return Book.model_validate(row)
