from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict

from autograder.checks.pydantic_config_dict import call
from autograder.engine.checkkit import require, rule, same_answer
from autograder.engine.proptest import examples

padding = st.sampled_from(["", " ", "  ", "\t", "\n "])
usernames = st.one_of(
    st.builds(lambda a, name, b: a + name + b, padding, st.text(min_size=0, max_size=32), padding),
    st.integers(),
)
payloads = st.fixed_dictionaries(
    {},
    optional={
        "username": usernames,
        "email": st.one_of(st.just(" ada@example.org "), st.text(max_size=10)),
        "role": st.just("admin"),
    },
)


@rule("pydantic-7")
@examples
@given(payload=payloads)
def test_any_new_user_gets_the_reference_answer(learner_client, reference_client, payload):
    """any new user is stripped, accepted or rejected as the reference does"""
    mine, line = call(learner_client, "POST", "/users", json=payload)
    theirs, _ = call(reference_client, "POST", "/users", json=payload)
    same_answer(mine, theirs, line, ignore_keys=("id", "created_at"))
    same_answer(
        call(learner_client, "GET", "/users/424242")[0],
        reference_client.get("/users/424242"),
        "GET /users/424242 (no such user)",
    )


KNOWN_KEYS = set(ConfigDict.__annotations__)


@rule("pydantic-7")
def test_models_keep_their_config_in_model_config(learner):
    """every model states its configuration in model_config, with Pydantic 2 keys"""
    problems = []
    for model in vars(learner).values():
        if (
            not (isinstance(model, type) and issubclass(model, BaseModel))
            or model.__module__ != learner.__name__
        ):
            continue
        if isinstance(vars(model).get("Config"), type):
            problems.append(f"{model.__name__} still has a nested `class Config`.")
        unknown = sorted(set(model.model_config) - KNOWN_KEYS)
        if unknown:
            problems.append(
                f"{model.__name__}.model_config holds {', '.join(unknown)}, which Pydantic 2 "
                "does not know and silently ignores."
            )
    require(not problems, "\n".join(problems))
