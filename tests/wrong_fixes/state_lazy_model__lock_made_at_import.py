# expect: first run's event loop
import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, TypedDict

import httpx
from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, Field

from workbook.upstreams import models_service_url


class SentimentModel(BaseModel):
    name: str
    weights: dict[str, float]

    def score(self, text: str) -> float:
        return sum(self.weights.get(word, 0.0) for word in text.lower().split())


_DOWNLOAD_LOCK = asyncio.Lock()  # made once; each app keeps its own model


class LazyModel:
    """Downloaded on first use, once: the requests that arrive meanwhile wait for that one."""

    def __init__(self, registry: httpx.AsyncClient) -> None:
        self._registry = registry
        self._model: SentimentModel | None = None
        self._lock = _DOWNLOAD_LOCK

    async def get(self) -> SentimentModel:
        if self._model is None:
            async with self._lock:
                if self._model is None:  # another request may have loaded it while we waited
                    response = await self._registry.get("/v1/models/sentiment")
                    response.raise_for_status()
                    self._model = SentimentModel.model_validate(response.json())
        return self._model


class State(TypedDict):
    model: LazyModel


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[State]:
    async with httpx.AsyncClient(base_url=models_service_url(), timeout=10.0) as registry:
        yield {"model": LazyModel(registry)}


app = FastAPI(title="Sentiment", lifespan=lifespan)


async def sentiment_model(request: Request) -> SentimentModel:
    return await request.state.model.get()


Model = Annotated[SentimentModel, Depends(sentiment_model)]


class Text(BaseModel):
    text: str = Field(max_length=2000)


class Score(BaseModel):
    score: float


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/sentiment")
async def sentiment(body: Text, model: Model) -> Score:
    return Score(score=model.score(body.text))
