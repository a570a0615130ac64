import ast

from hypothesis import example, given
from hypothesis import strategies as st

from autograder.engine.checkkit import ask_both, brief, require, rule, same_answer
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


@rule("pydantic-3", hint="The modern spellings accept and reject exactly what the old ones did.")
@examples
@given(payload=profiles)
# The best game is the highest score, which is neither the first nor the last name in order.
@example(payload={"username": "ada", "scores": {"chess": 3, "go": 9, "tetris": 1}})
@example(payload={"username": "ada", "tags": ["a", "a"], "scores": {"b": 2.5, "a": -1, "c": 0}})
def test_any_profile_gets_the_reference_answer(learner_client, reference_client, payload):
    """any profile is summarised or rejected as the reference does"""
    same_answer(
        *ask_both(learner_client, reference_client, "POST", "/profiles/summary", json=payload),
        f"POST /profiles/summary with {brief(payload)}",
    )


OLD_NAMES = ("Optional", "Union", "List", "Dict", "Set", "Tuple")


@rule(
    "pydantic-3",
    hint="Write `X | None`, `list[...]` and `dict[...]`, and drop the imports from typing.",
)
def test_no_typing_aliases_are_imported(learner_source):
    """the cell no longer imports Optional, Union, List or Dict"""
    old = sorted(
        alias.name
        for node in ast.walk(ast.parse(learner_source))
        if isinstance(node, ast.ImportFrom) and node.module == "typing"
        for alias in node.names
        if alias.name in OLD_NAMES
    )
    require(
        not old,
        f"The cell still imports {', '.join(old)} from typing; Python 3.10+ needs none of them.",
    )
