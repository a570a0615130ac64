import json
import typing

from fastapi.routing import APIRoute
from hypothesis import given
from hypothesis import strategies as st

# The visible checks hold the annotation walker; the hidden ones reuse it.
from autograder.checks.pydantic_modern_types import (
    findings_in_models,
    legacy_parts,
    modern_spelling,
    old_spelling,
)
from autograder.engine.checkkit import ask_both, require, rule, same_answer
from autograder.engine.proptest import examples

numbers = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
)
profiles = st.fixed_dictionaries(
    {"username": st.one_of(st.text(max_size=12), st.integers())},
    optional={
        "nickname": st.one_of(st.none(), st.text(max_size=12), st.integers()),
        "tags": st.one_of(
            st.lists(st.text(max_size=5), max_size=5), st.text(max_size=3), st.none()
        ),
        "scores": st.one_of(
            st.dictionaries(
                st.text(max_size=5), st.one_of(numbers, st.text(max_size=3)), max_size=4
            ),
            st.none(),
            st.lists(numbers, max_size=2),
        ),
    },
)


@rule("pydantic-3")
@examples
@given(payload=profiles)
def test_any_profile_gets_the_reference_answer(learner_client, reference_client, payload):
    """any profile is summarised or rejected as the reference does"""
    same_answer(
        *ask_both(learner_client, reference_client, "POST", "/profiles/summary", json=payload),
        f"POST /profiles/summary with {json.dumps(payload)}",
    )


@rule("pydantic-3")
def test_every_annotation_is_modern(learner, learner_app):
    """every model field and endpoint signature uses the modern spelling"""
    lines = findings_in_models(learner)
    for route in learner_app.routes:
        if not isinstance(route, APIRoute):
            continue
        hints = typing.get_type_hints(route.endpoint, include_extras=True)
        for name, annotation in hints.items():
            if legacy_parts(annotation):
                where = "its return" if name == "return" else f"parameter `{name}`"
                lines.append(
                    f"`{route.endpoint.__name__}` annotates {where} "
                    f"as `{old_spelling(annotation)}`; "
                    f"write `{modern_spelling(annotation)}`."
                )
    require(not lines, "\n".join(lines))


@rule("pydantic-3")
def test_no_typing_aliases_are_imported(learner):
    """the module no longer imports Optional, Union, List or Dict"""
    names = ("Optional", "Union", "List", "Dict", "Set", "Tuple")
    old = [name for name in names if vars(learner).get(name) is getattr(typing, name)]
    require(
        not old,
        f"The cell still imports {', '.join(old)} from typing; Python 3.10+ needs none of them.",
    )
