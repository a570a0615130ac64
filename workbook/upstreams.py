"""Fake upstream services, served by uvicorn on loopback where real sockets are the point.

A blocking client (``requests``, ``httpx.Client``) only shows its cost against a real socket,
so these services listen on 127.0.0.1 on a port the operating system picks. Each one starts
once per process, in a daemon thread with its own event loop, the first time its URL is
asked for; asking again (from any thread) returns the same URL.

- ``profile_service_url()``: ``GET /profiles/{user_id}`` returns a user's profile, or 404.
- ``llm_service_url()``: an OpenAI-compatible ``POST /v1/chat/completions`` that answers
  deterministically, as one JSON document or, with ``"stream": true``, as server-sent events
  (``data: {...}`` lines ending with ``data: [DONE]``).
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
import zlib
from collections.abc import AsyncIterator, Callable
from functools import cache
from typing import Annotated, Any, Literal

import uvicorn
from fastapi import FastAPI, HTTPException, Path
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

STARTUP_TIMEOUT_SECONDS = 10.0
PROFILE_LATENCY_SECONDS = 0.002  # a round trip to the profile service's database
TOKEN_INTERVAL_SECONDS = 0.001  # the fake model "thinks" this long between tokens
KNOWN_USERS = 500  # profiles exist for user ids 1..KNOWN_USERS

# --- the profile service ------------------------------------------------------------------------

_FIRST_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia")
_LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Perlman")
_PLANS = ("free", "pro", "team")


class UpstreamProfile(BaseModel):
    id: int
    name: str
    plan: Literal["free", "pro", "team"]


def profile_of(user_id: int) -> UpstreamProfile | None:
    """The profile the service holds for ``user_id``, or None when there is none."""
    if not 1 <= user_id <= KNOWN_USERS:
        return None
    first = _FIRST_NAMES[user_id % len(_FIRST_NAMES)]
    last = _LAST_NAMES[(user_id // len(_FIRST_NAMES)) % len(_LAST_NAMES)]
    return UpstreamProfile(id=user_id, name=f"{first} {last}", plan=_PLANS[user_id % len(_PLANS)])


def build_profile_service() -> FastAPI:
    service = FastAPI(title="Fake profile service")

    @service.get("/profiles/{user_id}")
    async def read_profile(user_id: Annotated[int, Path()]) -> UpstreamProfile:
        await asyncio.sleep(PROFILE_LATENCY_SECONDS)
        profile = profile_of(user_id)
        if profile is None:
            raise HTTPException(status_code=404, detail="No such profile")
        return profile

    return service


# --- the fake OpenAI-compatible LLM ---------------------------------------------------------------


class ChatMessage(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str


class ChatCompletionRequest(BaseModel):
    model: str = "fake-echo-1"
    messages: Annotated[list[ChatMessage], Field(min_length=1)]
    stream: bool = False


def reply_tokens(message: str) -> list[str]:
    """What the fake model answers to ``message``, token by token (a word and its spacing)."""
    reply = f"You said: {message.strip()}" if message.strip() else "You said nothing."
    return re.findall(r"\s*\S+\s*", reply) or [reply]


def _last_user_message(request: ChatCompletionRequest) -> str:
    for message in reversed(request.messages):
        if message.role == "user":
            return message.content
    return ""


def build_llm_service() -> FastAPI:
    service = FastAPI(title="Fake OpenAI-compatible LLM")

    @service.post("/v1/chat/completions", response_model=None)
    async def chat_completions(body: ChatCompletionRequest) -> StreamingResponse | dict[str, Any]:
        tokens = reply_tokens(_last_user_message(body))
        completion_id = f"chatcmpl-{zlib.crc32(''.join(tokens).encode()):08x}"
        if not body.stream:
            return {
                "id": completion_id,
                "object": "chat.completion",
                "created": 0,
                "model": body.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "".join(tokens)},
                        "finish_reason": "stop",
                    }
                ],
            }
        return StreamingResponse(
            _sse_chunks(completion_id, body.model, tokens), media_type="text/event-stream"
        )

    return service


async def _sse_chunks(completion_id: str, model: str, tokens: list[str]) -> AsyncIterator[str]:
    def event(delta: dict[str, str], finish_reason: str | None = None) -> str:
        chunk = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }
        return f"data: {json.dumps(chunk)}\n\n"

    yield event({"role": "assistant", "content": ""})
    for token in tokens:
        await asyncio.sleep(TOKEN_INTERVAL_SECONDS)
        yield event({"content": token})
    yield event({}, finish_reason="stop")
    yield "data: [DONE]\n\n"


# --- serving on loopback ----------------------------------------------------------------------


_start_lock = threading.Lock()


@cache
def _serve_on_loopback(name: str, build: Callable[[], FastAPI]) -> str:
    """Start ``build()`` under uvicorn on 127.0.0.1 in a daemon thread; return its base URL."""
    # IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on sockets that name their protocol,
    # and without it every keep-alive response waits 40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # the OS picks a free port
    host, port = sock.getsockname()
    config = uvicorn.Config(
        build(), log_level="warning", access_log=False, lifespan="off", timeout_keep_alive=30
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"fake-{name}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the fake {name} service did not start on {host}:{port}")
        time.sleep(0.005)
    return f"http://{host}:{port}"


def profile_service_url() -> str:
    """Base URL of the fake profile service (started on first use, once per process)."""
    with _start_lock:
        return _serve_on_loopback("profile", build_profile_service)


def llm_service_url() -> str:
    """Base URL of the fake OpenAI-compatible LLM (started on first use, once per process)."""
    with _start_lock:
        return _serve_on_loopback("llm", build_llm_service)
