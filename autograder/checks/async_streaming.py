import json
import secrets
import time

from autograder.engine.checkkit import (
    UpstreamWitness,
    counted,
    expect_overlap,
    expect_status,
    reported_blocking,
    require,
    rule,
)

MESSAGE = "stream me a short answer"
BURST = 6
HOLD_SECONDS = 1.5  # how long the fake model holds its answer after the first token
# A relayed first token that still missed the hold (a busy machine stalled for longer than it)
# gets another try; an answer that collects the stream first misses it every time.
STREAM_TRIES = 2


def expected_body(services, message):
    """The relayed stream of what the model said to ``message`` (in this run's words)."""
    tokens = services.data.reply_tokens(message)
    events = [f"data: {json.dumps({'token': token})}\n\n" for token in tokens]
    return "".join(events) + "data: [DONE]\n\n"


def chat(message):
    return ("POST", "/chat/stream", {"json": {"message": message}})


@rule(
    "async-4",
    hint=(
        "Use the pooled async client: `async with llm.stream(...)` and `async for line in"
        " upstream.aiter_lines()`."
    ),
)
def test_tokens_are_relayed_without_blocking(learner_client, learner_services, learner_report):
    """POST /chat/stream relays the model's tokens without blocking the event loop"""
    response = learner_client.post("/chat/stream", json={"message": MESSAGE})
    expect_status(response, 200, "POST /chat/stream")
    expected = expected_body(learner_services, MESSAGE)
    require(
        response.text == expected,
        f"POST /chat/stream sent {response.text[:300]!r}; expected {expected[:300]!r}. Keep the "
        'events as they were: one `data: {"token": ...}` event per token, then `data: [DONE]`.',
    )
    messages = [f"message {secrets.token_hex(4)}" for _ in range(BURST)]
    expect_overlap(
        learner_client,
        [chat(message) for message in messages],
        "chat streams",
        upstream=UpstreamWitness(
            "the model provider", learner_services.observed["llm"], frozenset(messages)
        ),
        headline="POST /chat/stream blocked the event loop",
        why="\nA synchronous client reads the upstream "
        "stream with blocking socket calls. Inside an async generator every one of those reads "
        "holds the event loop, for the whole length of the answer. `async with "
        "client.stream(...)` and `async for ... in response.aiter_lines()` wait without "
        "holding it." + reported_blocking(learner_report, "POST /chat"),
    )


@rule("prod-3", hint="Yield each event as its token arrives; do not collect the answer first.")
def test_the_answer_is_streamed(learner_client, learner_services, learner_report):
    """the first token reaches the client while the model is still answering"""
    for _ in range(STREAM_TRIES):
        status, media_type, body, first_token_at, relayed_while_thinking = _stream_while_held(
            learner_client, learner_services
        )
        if status != 200 or relayed_while_thinking:
            break
    require(status == 200, f"POST /chat/stream answered {status} {body[:300]!r}; expected 200.")
    require(
        media_type.startswith("text/event-stream"),
        f"POST /chat/stream answered with content-type {media_type!r}; a stream of server-sent "
        "events is `text/event-stream`.",
    )
    require(
        first_token_at is not None and relayed_while_thinking,
        "The model sent its first token, then kept thinking for "
        f"{HOLD_SECONDS:g} s; no token reached the client in all that time"
        + (f" (the first came after {first_token_at:.1f} s)" if first_token_at else "")
        + ". The answer was collected first and sent at the end (or the event loop was held "
        "while waiting), so the user stares at nothing until the model has finished. Relay "
        "each event as soon as its token arrives."
        + reported_blocking(learner_report, "POST /chat"),
    )
    require(
        body == expected_body(learner_services, MESSAGE), f"POST /chat/stream sent {body[:300]!r}."
    )


def _stream_while_held(learner_client, learner_services):
    """One stream while the model holds its answer after the first token: (status, content
    type, body, seconds to the first token or None, whether it came while the model held)."""
    gate = learner_services.hold_next_stream(timeout=HOLD_SECONDS)
    first_token_at = None
    relayed_while_thinking = False
    started = time.perf_counter()
    with learner_client.stream("POST", "/chat/stream", json={"message": MESSAGE}) as response:
        status = response.status_code
        media_type = response.headers.get("content-type", "")
        body = ""
        for text in response.iter_text():
            body += text
            if first_token_at is None and '"token"' in body:
                first_token_at = time.perf_counter() - started
                relayed_while_thinking = not gate.timed_out
                gate.open()
    gate.open()
    return status, media_type, body, first_token_at, relayed_while_thinking


@rule("example-2", hint="Use the pooled client the lifespan keeps on `request.app.state.llm`.")
def test_streams_share_the_pooled_client(learner_client, learner_services):
    """every stream reuses the app's pooled connection to the model provider"""
    learner_client.post("/chat/stream", json={"message": "zero"})
    observed = learner_services.observed["llm"]
    observed.reset()
    for message in ("one", "two", "three"):
        expect_status(
            learner_client.post("/chat/stream", json={"message": message}),
            200,
            "POST /chat/stream",
        )
    require(
        observed.connections == 0,
        "3 requests to POST /chat/stream opened "
        f"{counted(observed.connections, 'new connection')} to "
        "the model provider (the provider counted them). A client per request opens a new "
        "connection every time; the lifespan's client keeps connections open and shares them "
        "between requests.",
    )
