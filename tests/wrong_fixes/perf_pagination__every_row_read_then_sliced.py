# expect: reads the whole shelf
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request
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


class Book(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    author: str


class Page(BaseModel):
    items: list[Book]
    next: str | None  # the next page's URL; None on the last page


MAX_PAGE = 100
app = FastAPI(title="Library")


@app.get("/books")
async def list_books(
    session: SessionDep,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    after: Annotated[int, Query(ge=0)] = 0,
) -> Page:
    """Public books in id order, a page at a time: `after` is the last id already seen."""
    rows = await session.scalars(
        select(BookRow).where(BookRow.shelf == "public").order_by(BookRow.id)
    )
    # The page is cut here, from every public book: the answer is small, the work is not.
    books = [Book.model_validate(row) for row in rows if row.id > after]
    page, more = books[:limit], len(books) > limit
    following = request.url.include_query_params(after=page[-1].id, limit=limit) if more else None
    return Page(items=page, next=str(following) if following else None)
