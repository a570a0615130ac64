# expect: An AsyncSession serves one request at a time
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, status
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


_sessions: dict[str, AsyncSession] = {}


async def get_db(settings: SettingsDep) -> AsyncIterator[AsyncSession]:
    """The session for this database, made on first use and handed to every request after."""
    session = _sessions.get(settings.database_url)
    if session is None:
        session = AsyncSession(engine_for(settings.database_url), expire_on_commit=False)
        _sessions[settings.database_url] = session
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


@app.get("/books")
async def list_books(session: SessionDep) -> list[Book]:
    rows = await session.scalars(
        select(BookRow).where(BookRow.shelf == "public").order_by(BookRow.id)
    )
    return [Book.model_validate(row) for row in rows]


@app.get("/books/{book_id}")
async def read_book(book_id: Annotated[int, Path(ge=1)], session: SessionDep) -> Book:
    row = await session.get(BookRow, book_id)
    if row is None or row.shelf != "public":
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such book")
    return Book.model_validate(row)


@app.post("/books", status_code=status.HTTP_201_CREATED)
async def add_book(book: BookIn, session: SessionDep) -> Book:
    row = BookRow(title=book.title, author=book.author, shelf="public")
    session.add(row)
    await session.commit()
    return Book.model_validate(row)
