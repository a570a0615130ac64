# expect: not as this exact name
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, FastAPI, Query
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


class BookIn(BaseModel):
    title: Annotated[str, Field(min_length=1, max_length=120)]
    author: Annotated[str, Field(min_length=1, max_length=80)]


class Book(BookIn):
    model_config = ConfigDict(from_attributes=True)

    id: int


app = FastAPI(title="Library")

PUBLIC_BOOKS = select(BookRow).where(BookRow.shelf == "public").order_by(BookRow.id)


@app.get("/books/search")
async def search_books(
    q: Annotated[str, Query(min_length=1, max_length=60)], session: SessionDep
) -> list[Book]:
    """Public books whose title contains `q`, in any case."""
    # The value travels as a bound parameter: the database never reads it as SQL.
    rows = await session.scalars(PUBLIC_BOOKS.where(BookRow.title.icontains(q, autoescape=True)))
    return [Book.model_validate(row) for row in rows]


@app.get("/authors/{author}/books")
async def books_by_author(author: str, session: SessionDep) -> list[Book]:
    """Public books by exactly this author."""
    rows = await session.scalars(PUBLIC_BOOKS.where(BookRow.author.ilike(author)))
    return [Book.model_validate(row) for row in rows]
