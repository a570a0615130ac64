from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field

CATALOGUE = (
    ("Dune", "Frank Herbert"),
    ("The Left Hand of Darkness", "Ursula K. Le Guin"),
    ("The Dispossessed", "Ursula K. Le Guin"),
    ("Neuromancer", "William Gibson"),
    ("Foundation", "Isaac Asimov"),
    ("I, Robot", "Isaac Asimov"),
    ("Hyperion", "Dan Simmons"),
    ("Snow Crash", "Neal Stephenson"),
    ("The Name of the Rose", "Umberto Eco"),
    ("Solaris", "Stanislaw Lem"),
    ("The Martian Chronicles", "Ray Bradbury"),
    ("Kindred", "Octavia E. Butler"),
)

# Each rule is written once, in the type, where FastAPI both enforces and documents it.
SearchText = Annotated[
    str, Query(min_length=3, max_length=50, description="Part of a title or an author's name.")
]
PageSize = Annotated[int, Query(ge=1, le=100, description="How many books to return at most.")]
BookId = Annotated[int, Path(ge=1, description="The book's catalogue number.")]


class Book(BaseModel):
    id: int
    title: str
    author: str


class ReviewIn(BaseModel):
    rating: Annotated[int, Field(ge=1, le=5, description="From 1 (poor) to 5 (superb).")]
    comment: Annotated[str, Field(max_length=500)] = ""


class ReviewOut(BaseModel):
    book_id: int
    rating: int
    comment: str


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.books = {
        number: Book(id=number, title=title, author=author)
        for number, (title, author) in enumerate(CATALOGUE, start=1)
    }
    app.state.reviews = []
    yield


app = FastAPI(lifespan=lifespan)


@app.get("/books/search")
async def search_books(q: SearchText, request: Request, limit: PageSize = 10) -> list[Book]:
    needle = q.casefold()
    books = request.app.state.books.values()
    hits = [b for b in books if needle in b.title.casefold() or needle in b.author.casefold()]
    return hits[:limit]


@app.get("/books/{book_id}")
async def read_book(book_id: BookId, request: Request) -> Book:
    book = request.app.state.books.get(book_id)
    if book is None:
        raise HTTPException(status_code=404, detail="Book not found")
    return book


@app.post("/books/{book_id}/reviews", status_code=201)
async def add_review(book_id: BookId, review: ReviewIn, request: Request) -> ReviewOut:
    if book_id not in request.app.state.books:
        raise HTTPException(status_code=404, detail="Book not found")
    stored = ReviewOut(book_id=book_id, **review.model_dump())
    request.app.state.reviews.append(stored)
    return stored
