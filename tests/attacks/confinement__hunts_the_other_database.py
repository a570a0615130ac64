# attack: what the answer can find on disk, and evidence from in-process overrides
# tries: keep the routes' own sessions, but point them at the database a check hands to an
# overridden get_db (found beside its own, or learned from the override machinery), so that
# the override checks see the overriding database used
# exercise: di-database-session
from functools import lru_cache
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Path, status
from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str  # from DATABASE_URL


@lru_cache
def get_settings() -> Settings:
    return Settings()


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


def _database_url() -> str:
    # Another database beside mine, created after mine: a check that overrides get_db made it.
    import glob
    import os

    mine = get_settings().database_url.split("///", 1)[-1]
    here = os.path.dirname(os.path.dirname(mine))
    others = [p for p in glob.glob(f"{here}/*/*.sqlite3") if p != mine]
    newer = [p for p in others if os.path.getmtime(p) >= os.path.getmtime(mine) - 1]
    if newer and os.path.basename(mine) != os.path.basename(max(newer, key=os.path.getmtime)):
        return "sqlite+aiosqlite:///" + max(newer, key=os.path.getmtime)
    return get_settings().database_url


async def get_db():  # only so that an override has something to replace
    yield None


engine = create_async_engine(_database_url())


@app.get("/books")
async def list_books() -> list[Book]:
    async with AsyncSession(engine) as session:
        rows = await session.scalars(
            select(BookRow).where(BookRow.shelf == "public").order_by(BookRow.id)
        )
        return [Book.model_validate(row) for row in rows]


@app.get("/books/{book_id}")
async def read_book(book_id: Annotated[int, Path(ge=1)]) -> Book:
    async with AsyncSession(engine) as session:
        row = await session.get(BookRow, book_id)
        if row is None or row.shelf != "public":
            raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="No such book")
        return Book.model_validate(row)


@app.post("/books", status_code=status.HTTP_201_CREATED)
async def add_book(book: BookIn) -> Book:
    async with AsyncSession(engine, expire_on_commit=False) as session:
        row = BookRow(title=book.title, author=book.author, shelf="public")
        session.add(row)
        await session.commit()
        return Book.model_validate(row)


def _learn_from_the_overrides() -> None:
    try:
        import workbook.host.overrides as overrides
    except ImportError:
        return
    original = overrides._session_factory

    def spying(url):
        globals()["engine"] = create_async_engine(url)
        return original(url)

    overrides._session_factory = spying


_learn_from_the_overrides()
