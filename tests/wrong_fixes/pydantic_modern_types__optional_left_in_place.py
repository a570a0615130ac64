# expect: UP045
from typing import Optional

from fastapi import FastAPI
from pydantic import BaseModel, Field

app = FastAPI()


class Profile(BaseModel):
    username: str
    nickname: Optional[str] = None
    tags: list[str] = Field(default_factory=list)
    scores: dict[str, int | float] = Field(default_factory=dict)


class ProfileSummary(BaseModel):
    display_name: str
    tag_count: int
    best_game: str | None
    best_score: int | float | None


@app.post("/profiles/summary")
async def summarise_profile(profile: Profile) -> ProfileSummary:
    best_game = max(profile.scores, key=profile.scores.__getitem__, default=None)
    return ProfileSummary(
        display_name=profile.nickname or profile.username,
        tag_count=len(set(profile.tags)),
        best_game=best_game,
        best_score=None if best_game is None else profile.scores[best_game],
    )
