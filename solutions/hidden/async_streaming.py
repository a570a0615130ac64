import secrets

from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import (
    UpstreamWitness,
    ask_both,
    expect_overlap,
    rule,
    same_answer,
)
from autograder.engine.edges import expect_same_at_the_edges
from autograder.engine.proptest import slow_examples


@rule(
    "async-4",
    hint=(
        "Relay every token as one `data:` event, and end with `data: [DONE]`, whatever the message."
    ),
)
@slow_examples
@given(message=st.text(min_size=0, max_size=60))
def test_streams_match_the_reference(learner_client, reference_client, message):
    """any message is streamed back as the reference streams it, without blocking"""
    payload = {"message": message}
    same_answer(
        *ask_both(learner_client, reference_client, "POST", "/chat/stream", json=payload),
        f"POST /chat/stream with message {message!r}",
    )


@rule("example-2", hint="Keep the request model's limits on the message.")
@slow_examples
@given(length=st.sampled_from([0, 1999, 2000, 2001, 5000]))
def test_message_limits_match_the_reference(learner_client, reference_client, length):
    """message length limits are enforced as the reference enforces them"""
    payload = {"message": "x" * length}
    same_answer(
        *ask_both(learner_client, reference_client, "POST", "/chat/stream", json=payload),
        f"POST /chat/stream with a {length}-character message",
    )


@rule("async-4", hint="No stream may hold the loop while it waits for the model's next token.")
def test_a_burst_of_streams_is_served_together(learner_client, learner_services):
    """ten chat streams of a longer answer, sent at once, are served together"""
    message = "a somewhat longer message, streamed back token by token " * 2
    messages = [f"{message}{secrets.token_hex(4)}" for _ in range(10)]
    expect_overlap(
        learner_client,
        [("POST", "/chat/stream", {"json": {"message": text}}) for text in messages],
        "chat streams",
        upstream=UpstreamWitness(
            "the model provider", learner_services.observed["llm"], frozenset(messages)
        ),
    )


@rule("example-2", hint="Keep the request model's limits on the message: 1 to 2000 characters.")
def test_messages_at_the_length_limits_match_the_reference(
    learner_client, reference_client, reference_contract
):
    """messages just inside and just outside each length limit are answered as by the reference"""
    expect_same_at_the_edges(
        learner_client,
        reference_client,
        reference_contract,
        "POST",
        "/chat/stream",
        body={"message": "tell me a story"},
    )
