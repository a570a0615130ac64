from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel

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


class Book(BaseModel):
    id: int
    title: str
    author: str


class ReviewIn(BaseModel):
    rating: int
    comment: str = ""


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
async def search_books(q: str, request: Request, limit: int = 10) -> list[Book]:
    needle = q.casefold()
    books = request.app.state.books.values()
    hits = [b for b in books if needle in b.title.casefold() or needle in b.author.casefold()]
    return hits[:limit]


@app.get("/books/{book_id}")
async def read_book(book_id: int, request: Request) -> Book:
    book = request.app.state.books.get(book_id)
    if book is None:
        raise HTTPException(status_code=404, detail="Book not found")
    return book


@app.post("/books/{book_id}/reviews", status_code=201)
async def add_review(book_id: int, review: ReviewIn, request: Request) -> ReviewOut:
    if book_id not in request.app.state.books:
        raise HTTPException(status_code=404, detail="Book not found")
    stored = ReviewOut(book_id=book_id, **review.model_dump())
    request.app.state.reviews.append(stored)
    return stored
