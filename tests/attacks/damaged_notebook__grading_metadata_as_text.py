# attack: damaged notebooks are not graded 0 with a reason
# tries: hand in the starter in a notebook damaged as its `# notebook:` line says, so that
# nbgrader's own steps trip over it and the submission goes ungraded (and the run exits 1)
# exercise: state-lazy-model
# notebook: grading-metadata-as-text
import httpx
from fastapi import FastAPI
from pydantic import BaseModel, Field

from workbook.upstreams import models_service_url


class SentimentModel(BaseModel):
    name: str
    weights: dict[str, float]

    def score(self, text: str) -> float:
        return sum(self.weights.get(word, 0.0) for word in text.lower().split())


# Downloaded when the module is imported: every start pays for it, even for /health.
MODEL = SentimentModel.model_validate(
    httpx.get(f"{models_service_url()}/v1/models/sentiment", timeout=10.0).json()
)

app = FastAPI(title="Sentiment")


class Text(BaseModel):
    text: str = Field(max_length=2000)


class Score(BaseModel):
    score: float


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/sentiment")
async def sentiment(body: Text) -> Score:
    return Score(score=MODEL.score(body.text))
