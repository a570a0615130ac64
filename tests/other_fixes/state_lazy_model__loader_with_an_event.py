import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
from fastapi import Depends, FastAPI, Request
from pydantic import BaseModel, Field

from workbook.upstreams import models_service_url


class SentimentModel(BaseModel):
    name: str
    weights: dict[str, float]

    def score(self, text: str) -> float:
        return sum(self.weights.get(word, 0.0) for word in text.lower().split())


class ModelSlot:
    """The first caller downloads; the others wait for its event."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.model: SentimentModel | None = None
        self.loading: asyncio.Event | None = None

    async def get(self) -> SentimentModel:
        while self.model is None:
            if self.loading is not None:
                await self.loading.wait()
                continue
            self.loading = asyncio.Event()
            try:
                response = await self.client.get("/v1/models/sentiment")
                response.raise_for_status()
                self.model = SentimentModel.model_validate(response.json())
            finally:
                self.loading.set()
                self.loading = None
        return self.model


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, ModelSlot]]:
    async with httpx.AsyncClient(base_url=models_service_url(), timeout=10.0) as client:
        yield {"slot": ModelSlot(client)}


app = FastAPI(title="Sentiment", lifespan=lifespan)


async def loaded_model(request: Request) -> SentimentModel:
    return await request.state.slot.get()


class Text(BaseModel):
    text: str = Field(max_length=2000)


class Score(BaseModel):
    score: float


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/sentiment")
async def sentiment(body: Text, model: Annotated[SentimentModel, Depends(loaded_model)]) -> Score:
    return Score(score=model.score(body.text))
