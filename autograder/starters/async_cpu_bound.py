import hashlib
from typing import Annotated

from fastapi import FastAPI
from pydantic import BaseModel, Field

# Kept low so the exercise runs fast; a production service would use far more iterations.
ITERATIONS = 200_000

app = FastAPI()


class KeyRequest(BaseModel):
    password: Annotated[str, Field(min_length=8, max_length=128)]
    salt: Annotated[str, Field(min_length=8, max_length=64)]


class DerivedKey(BaseModel):
    algorithm: str
    iterations: int
    key: str


@app.post("/keys/derive")
async def derive_key(body: KeyRequest) -> DerivedKey:
    key = hashlib.pbkdf2_hmac("sha256", body.password.encode(), body.salt.encode(), ITERATIONS)
    return DerivedKey(algorithm="pbkdf2-sha256", iterations=ITERATIONS, key=key.hex())
