# expect: opened 3 new connections
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from workbook.upstreams import llm_service_url


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.llm_url = llm_service_url()  # an OpenAI-compatible chat completions API
    async with httpx.AsyncClient(base_url=app.state.llm_url, timeout=10.0) as client:
        app.state.llm = client  # pooled, opened once, closed at shut-down
        yield


app = FastAPI(lifespan=lifespan)


class ChatRequest(BaseModel):
    message: Annotated[str, Field(min_length=1, max_length=2000)]


def token_from(line: str) -> str | None:
    """The text in one server-sent event line of a chat completion stream, if any."""
    if not line.startswith("data: ") or line == "data: [DONE]":
        return None
    chunk = json.loads(line.removeprefix("data: "))
    return chunk["choices"][0]["delta"].get("content") or None


async def relay_tokens(llm_url: str, message: str) -> AsyncIterator[str]:
    payload = {"model": "fake-echo-1", "stream": True,
               "messages": [{"role": "user", "content": message}]}  # fmt: skip
    # The seed's "good" version: async, but a brand-new client for every request.
    async with (
        httpx.AsyncClient(base_url=llm_url, timeout=10.0) as client,
        client.stream("POST", "/v1/chat/completions", json=payload) as upstream,
    ):
        async for line in upstream.aiter_lines():
            token = token_from(line)
            if token is not None:
                yield f"data: {json.dumps({'token': token})}\n\n"
    yield "data: [DONE]\n\n"


@app.post("/chat/stream", response_class=StreamingResponse)
async def chat_stream(body: ChatRequest, request: Request) -> StreamingResponse:
    return StreamingResponse(
        relay_tokens(request.app.state.llm_url, body.message), media_type="text/event-stream"
    )
