# expect: a restart runs the app's lifespan again
import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, Field

from workbook.upstreams import models_service_url

registry = httpx.AsyncClient(base_url=models_service_url(), timeout=10.0)


class SentimentModel(BaseModel):
    name: str
    weights: dict[str, float]

    def score(self, text: str) -> float:
        return sum(self.weights.get(word, 0.0) for word in text.lower().split())


class LazyModel:
    def __init__(self) -> None:
        self.model: SentimentModel | None = None
        self.lock = asyncio.Lock()

    async def get(self) -> SentimentModel:
        async with self.lock:
            if self.model is None:
                response = await registry.get("/v1/models/sentiment")
                response.raise_for_status()
                self.model = SentimentModel.model_validate(response.json())
        return self.model


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, LazyModel]]:
    yield {"model": LazyModel()}
    await registry.aclose()  # the client was opened once, at import: later runs find it closed


app = FastAPI(title="Sentiment", lifespan=lifespan)


async def sentiment_model(request: Request) -> SentimentModel:
    return await request.state.model.get()


class Text(BaseModel):
    text: str = Field(max_length=2000)


class Score(BaseModel):
    score: float


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/sentiment")
async def sentiment(
    body: Text, model: Annotated[SentimentModel, Depends(sentiment_model)]
) -> Score:
    return Score(score=model.score(body.text))
