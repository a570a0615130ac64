from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, FastAPI, Query
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
    next: str | None = None


PageSize = Annotated[int, Query(ge=1, le=100, description="books per page")]
After = Annotated[int, Query(ge=0, description="the last id of the page before")]
app = FastAPI(title="Library")


@app.get("/books")
async def list_books(session: SessionDep, limit: PageSize = 20, after: After = 0) -> Page:
    """Public books in id order; `next` is a relative link to the following page."""
    query = (
        select(BookRow)
        .filter(BookRow.shelf == "public")
        .filter(BookRow.id > after)
        .order_by(BookRow.id.asc())
        .limit(limit + 1)
    )
    rows = list(await session.scalars(query))
    page = Page(items=[Book.model_validate(row) for row in rows[:limit]])
    if len(rows) > limit:
        page.next = f"/books?after={rows[limit - 1].id}&limit={limit}"
    return page
