import json

from autograder.engine.checkkit import expect_status, fail, new_clients_counted, require, rule
from autograder.engine.driver import BlockedEventLoop
from workbook.upstreams import reply_tokens

MESSAGE = "stream me a short answer"


def expected_body(message):
    events = [f"data: {json.dumps({'token': token})}\n\n" for token in reply_tokens(message)]
    return "".join(events) + "data: [DONE]\n\n"


def explained(error: BlockedEventLoop) -> str:
    return str(error) + (
        "\nA synchronous client reads the upstream stream with blocking socket calls. Inside an "
        "async generator every one of those reads holds the event loop, for the whole length "
        "of the answer. `async with client.stream(...)` and `async for ... in "
        "response.aiter_lines()` wait without holding it."
    )


def chat(client, message, *, why=False):
    try:
        return client.post("/chat/stream", json={"message": message})
    except BlockedEventLoop as error:
        fail(explained(error) if why else f"{error} (the first check says why)")
        raise


def body_parts(response):
    """The body chunks the app sent, as httpx's ASGI transport collected them, if visible."""
    # httpx keeps them on its private ASGIResponseStream, under the client's own wrapper. If a
    # future httpx hides them, this returns None and the check gives the benefit of the doubt.
    stream = response.stream
    for _ in range(3):
        parts = getattr(stream, "_body", None)
        if isinstance(parts, list):
            return parts
        stream = getattr(stream, "_stream", None)
    return None


@rule("async-4")
def test_tokens_are_relayed_without_blocking(learner_client):
    """POST /chat/stream relays the model's tokens without blocking the event loop"""
    response = chat(learner_client, MESSAGE, why=True)
    expect_status(response, 200, "POST /chat/stream")
    expected = expected_body(MESSAGE)
    require(
        response.text == expected,
        f"POST /chat/stream sent {response.text[:300]!r}; expected {expected[:300]!r}. Keep the "
        'events as they were: one `data: {"token": ...}` event per token, then `data: [DONE]`.',
    )


@rule("prod-3", hint="Yield each event as its token arrives; do not collect the answer first.")
def test_the_answer_is_streamed(learner_client):
    """tokens reach the client as they arrive, as server-sent events"""
    response = chat(learner_client, MESSAGE)
    expect_status(response, 200, "POST /chat/stream")
    media_type = response.headers.get("content-type", "")
    require(
        media_type.startswith("text/event-stream"),
        f"POST /chat/stream answered with content-type {media_type!r}; a stream of server-sent "
        "events is `text/event-stream`.",
    )
    parts = body_parts(response)
    tokens = len(reply_tokens(MESSAGE))
    require(
        parts is None or len(parts) > tokens // 2,
        f"POST /chat/stream sent its {tokens}-token answer in {len(parts or [])} piece(s): it was "
        "collected first and sent at the end, so the user stares at nothing until the model has "
        "finished. Yield each event as soon as its token arrives.",
    )


@rule("example-2", hint="Use the pooled client the lifespan keeps on `request.app.state.llm`.")
def test_streams_share_the_pooled_client(learner_client):
    """every stream reuses the app's pooled client"""
    with new_clients_counted() as opened:
        for message in ("one", "two", "three"):
            chat(learner_client, message)
    require(
        not opened,
        f"3 requests to POST /chat/stream constructed {len(opened)} new client(s) "
        f"({', '.join(sorted(set(opened)))}). A client per request opens a new connection to "
        "the model provider every time; the lifespan's client keeps connections open and "
        "shares them between requests.",
    )
