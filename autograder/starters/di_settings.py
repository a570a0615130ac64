import hashlib
import hmac
import os
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, status
from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

LINK_SIGNING_KEY = "lsk_live_7Hq2Zr9Xc4Vb8Nm1Pq3s"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str


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


class About(BaseModel):
    library: str
    max_loans: int
    signing_key_hint: str


class Link(BaseModel):
    url: str


def signed(path: str) -> str:
    signature = hmac.new(LINK_SIGNING_KEY.encode(), path.encode(), hashlib.sha256)
    return f"{path}?sig={signature.hexdigest()}"


app = FastAPI(title="Library")


@app.get("/about")
async def about() -> About:
    return About(
        library=os.environ.get("LIBRARY_NAME", "City Library"),
        max_loans=int(os.environ.get("MAX_LOANS", "3")),
        signing_key_hint=LINK_SIGNING_KEY[:8] + "...",
    )


@app.get("/books/{book_id}/link")
async def download_link(book_id: Annotated[int, Path(ge=1)], session: SessionDep) -> Link:
    """A link to the book's file, signed so that the file server can trust it."""
    book = await session.get(BookRow, book_id)
    if book is None or book.shelf != "public":
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such book")
    return Link(url=signed(f"/files/{book_id}"))
