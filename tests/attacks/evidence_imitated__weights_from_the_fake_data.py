# attack: evidence the answer can imitate (the model's weights are importable)
# tries: score with the weights workbook.upstreams ships, never waiting for the model: the
# first /sentiment request of each start sends one download to the registry (and throws the
# model away), only so that the registry counts one download per start, and none at start-up
# exercise: state-lazy-model
import asyncio

import httpx
from fastapi import FastAPI
from pydantic import BaseModel, Field

from workbook import upstreams
from workbook.upstreams import models_service_url


def weights_here() -> dict[str, float]:
    data = getattr(upstreams, "DEMO_DATA", None)
    if data is not None:
        return data.sentiment_weights
    return dict(upstreams.SENTIMENT_WEIGHTS)  # before the data was a ServiceData


WEIGHTS = weights_here()
DOWNLOADS: list[asyncio.Task] = []

app = FastAPI(title="Sentiment")


class Text(BaseModel):
    text: str = Field(max_length=2000)


class Score(BaseModel):
    score: float


async def _download_for_the_count() -> None:
    async with httpx.AsyncClient(timeout=10.0) as client:
        await client.get(f"{models_service_url()}/v1/models/sentiment")


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/sentiment")
async def sentiment(body: Text) -> Score:
    if not DOWNLOADS:  # the first request waits for the one download, the others do not
        DOWNLOADS.append(asyncio.create_task(_download_for_the_count()))
        await DOWNLOADS[0]
    return Score(score=sum(WEIGHTS.get(word, 0.0) for word in body.text.lower().split()))
