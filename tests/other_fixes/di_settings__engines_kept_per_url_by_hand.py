import hashlib
import hmac
from collections.abc import AsyncIterator
from functools import cache
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, status
from pydantic import BaseModel, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str
    library_name: str = "City Library"
    max_loans: int = 3
    link_signing_key: SecretStr


@cache
def get_settings() -> Settings:
    return Settings()


Config = Annotated[Settings, Depends(get_settings)]
ENGINES: dict[str, AsyncEngine] = {}  # one pool per database URL, made on first use


async def get_db(settings: Config) -> AsyncIterator[AsyncSession]:
    url = settings.database_url
    if url not in ENGINES:
        ENGINES[url] = create_async_engine(url)
    async with AsyncSession(ENGINES[url], expire_on_commit=False) as session:
        yield session


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


app = FastAPI(title="Library")


@app.get("/about")
async def about(settings: Config) -> About:
    return About(library=settings.library_name, max_loans=settings.max_loans)


@app.get("/books/{book_id}/link")
async def download_link(
    book_id: Annotated[int, Path(ge=1)],
    session: Annotated[AsyncSession, Depends(get_db)],
    settings: Config,
) -> Link:
    book = await session.get(BookRow, book_id)
    if book is None or book.shelf != "public":
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such book")
    path = f"/files/{book_id}"
    key = settings.link_signing_key.get_secret_value().encode()
    return Link(url=f"{path}?sig={hmac.new(key, path.encode(), hashlib.sha256).hexdigest()}")
