from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, status
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str


@lru_cache
def get_settings() -> Settings:
    return Settings()


@lru_cache
def sessions_for(url: str) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(create_async_engine(url), expire_on_commit=False)


async def get_db(
    settings: Annotated[Settings, Depends(get_settings)],
) -> AsyncIterator[AsyncSession]:
    session = sessions_for(settings.database_url)()
    try:
        yield session
    finally:
        await session.close()


Session = Annotated[AsyncSession, Depends(get_db)]


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
async def list_books(session: Session) -> list[Book]:
    query = select(BookRow).where(BookRow.shelf == "public").order_by(BookRow.id)
    return [Book.model_validate(row) for row in await session.scalars(query)]


@app.get("/books/{book_id}")
async def read_book(book_id: Annotated[int, Path(ge=1)], session: Session) -> Book:
    row = await session.get(BookRow, book_id)
    if row is None or row.shelf != "public":
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such book")
    return Book.model_validate(row)


@app.post("/books", status_code=status.HTTP_201_CREATED)
async def add_book(book: BookIn, session: Session) -> Book:
    row = BookRow(title=book.title, author=book.author, shelf="public")
    session.add(row)
    await session.commit()
    return Book.model_validate(row)
