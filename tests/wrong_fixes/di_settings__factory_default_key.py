# expect: written in the code
import hashlib
import hmac
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, status
from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Settings(BaseSettings):
    """Everything the app is configured with, read from the environment and `.env`, typed."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str
    library_name: str = "City Library"
    max_loans: int = 3
    # A development key, so the app starts on a laptop without a .env; production sets its own.
    link_signing_key: SecretStr = Field(default_factory=lambda: SecretStr("dev-only-change-me"))


@lru_cache
def get_settings() -> Settings:
    """Read once, on first use; a test swaps it with app.dependency_overrides[get_settings]."""
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


class Link(BaseModel):
    url: str


def signed(path: str, key: SecretStr) -> str:
    signature = hmac.new(key.get_secret_value().encode(), path.encode(), hashlib.sha256)
    return f"{path}?sig={signature.hexdigest()}"


app = FastAPI(title="Library")


@app.get("/about")
async def about(settings: SettingsDep) -> About:
    return About(library=settings.library_name, max_loans=settings.max_loans)


@app.get("/books/{book_id}/link")
async def download_link(
    book_id: Annotated[int, Path(ge=1)], session: SessionDep, settings: SettingsDep
) -> Link:
    """A link to the book's file, signed so that the file server can trust it."""
    book = await session.get(BookRow, book_id)
    if book is None or book.shelf != "public":
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such book")
    return Link(url=signed(f"/files/{book_id}", settings.link_signing_key))
