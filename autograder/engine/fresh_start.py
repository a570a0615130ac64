"""The same requests, in the same order, to a freshly started learner's app and a freshly
started reference, every answer compared.

The session's apps have been written to by every check before: what a new app holds (its
seeded rows, the first id it hands out, what a write followed by a read gives) can only be
compared on apps that start together. Both are served the same way (``start_learner_app``,
``start_reference_app``: each its own process), so a sequence sees what a client of a new
deployment sees.

Accepted answers are compared in full. Refusals are compared by status and shape: the same
keys, and a ``detail`` that is text on both sides where the reference's is. The words of an
error message are the learner's to choose, as a correct alternative's would be.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import httpx

from autograder.engine.checkkit import body_of, brief, fail, same_answer, show

Step = tuple[str, str, dict[str, Any]]  # method, url, keyword arguments of client.request


def _shape(value: Any) -> Any:
    """A refusal's body with its texts set aside: the keys, and which values are text."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return "<text>" if isinstance(value, str) else value


def same_refusal(learner: httpx.Response, reference: httpx.Response, line: str) -> None:
    """Fail unless both refused with the same status and a body of the same shape."""
    if learner.status_code != reference.status_code:
        fail(
            f"{line}: your app answered {show(learner)}, the reference answered {show(reference)}."
        )
    if learner.status_code == 422:
        return  # refused by validation on both sides; where the error is located may differ
    if _shape(body_of(learner)) != _shape(body_of(reference)):
        fail(
            f"{line}: your app refused with {show(learner)}, the reference with "
            f"{show(reference)}: an error body keeps the shape its documented model gives it "
            "(the wording is yours)."
        )


def expect_fresh_apps_agree(
    start_learner_app: Any,
    start_reference_app: Any,
    steps: Sequence[Step],
    *,
    ignore_keys: Iterable[str] = (),
    refusals_in_full: bool = False,
) -> None:
    """Start both apps afresh and send them ``steps`` in order; fail at the first answer the
    learner's app gives unlike the reference's. ``refusals_in_full`` compares error bodies word
    for word too, where the exercise gives the words (a domain error's public message)."""
    learner = start_learner_app().client
    reference = start_reference_app()
    ignored = tuple(ignore_keys)
    for number, (method, url, kwargs) in enumerate(steps, start=1):
        sent = f" with {brief(kwargs['json'])}" if "json" in kwargs else ""
        line = f"step {number} of {len(steps)} on a freshly started app, {method} {url}{sent}"
        mine = learner.request(method, url, **kwargs)
        theirs = reference.request(method, url, **kwargs)
        if (mine.is_success and theirs.is_success) or (
            refusals_in_full and mine.status_code != 422
        ):
            same_answer(mine, theirs, line, ignore_keys=ignored)
        else:
            same_refusal(mine, theirs, line)
