# expect: the database the app found at import
import hashlib
import hmac
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, status
from pydantic import BaseModel, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str
    library_name: str = "City Library"
    max_loans: int = 3
    link_signing_key: SecretStr


@lru_cache
def get_settings() -> Settings:
    return Settings()


SettingsDep = Annotated[Settings, Depends(get_settings)]

engine = create_async_engine(get_settings().database_url)  # read once, before any override


async def get_db() -> AsyncIterator[AsyncSession]:
    async with AsyncSession(engine, expire_on_commit=False) as session:
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
    book = await session.get(BookRow, book_id)
    if book is None or book.shelf != "public":
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such book")
    return Link(url=signed(f"/files/{book_id}", settings.link_signing_key))
