import ast

from hypothesis import given
from hypothesis import strategies as st
from pydantic import ConfigDict

from autograder.checks.pydantic_config_dict import call
from autograder.engine.checkkit import require, rule, same_answer
from autograder.engine.edges import expect_same_at_the_edges
from autograder.engine.fresh_start import expect_fresh_apps_agree
from autograder.engine.proptest import examples
from autograder.engine.source_rules import plain_spelling

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


@rule(
    "pydantic-7",
    hint="Strip the spaces, check the length after stripping, and refuse undeclared fields.",
)
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


def _config_dict_keys(source):
    """Every key given to ConfigDict(...) (or to `model_config` as a plain dict) in the
    source, with its line, read through aliases and `**{...}` (``plain_spelling``)."""
    found = []
    for node in ast.walk(plain_spelling(ast.parse(source))):
        if isinstance(node, ast.Call) and _name_of(node.func) == "ConfigDict":
            found.extend((keyword.arg, node.lineno) for keyword in node.keywords if keyword.arg)
            for keyword in node.keywords:
                if keyword.arg is None and isinstance(keyword.value, ast.Dict):
                    found.extend(_dict_keys(keyword.value))
        elif (
            isinstance(node, ast.Assign | ast.AnnAssign)
            and isinstance(node.value, ast.Dict)
            and any(
                _name_of(target) == "model_config"
                for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            )
        ):
            found.extend(_dict_keys(node.value))
    return found


def _name_of(node):
    """`ConfigDict` for `ConfigDict` and for `pydantic.ConfigDict`."""
    return getattr(node, "id", None) or getattr(node, "attr", None)


def _dict_keys(literal):
    return [
        (key.value, key.lineno)
        for key in literal.keys
        if isinstance(key, ast.Constant) and isinstance(key.value, str)
    ]


@rule(
    "pydantic-7",
    hint="Pydantic 2 ignores keys it does not know: use only the settings ConfigDict declares.",
)
def test_every_config_key_is_one_pydantic_2_knows(learner_source):
    """every model_config key is one Pydantic 2 knows (unknown ones are silently ignored)"""
    unknown = [
        (key, line) for key, line in _config_dict_keys(learner_source) if key not in KNOWN_KEYS
    ]
    require(
        not unknown,
        "\n".join(
            f"line {line}: ConfigDict({key}=...) is not a Pydantic 2 setting; it is ignored."
            for key, line in unknown
        ),
    )


@rule("pydantic-7", hint="Keep the fields' limits as the model declared them.")
def test_limits_match_the_reference(learner_client, reference_client, reference_contract):
    """usernames and e-mails at each length limit are accepted or refused as by the reference"""
    bodies = (
        {"username": "edgecase", "email": "edge@example.org"},
        {"username": "edgecase2", "email": "x" * 20},
    )
    for body in bodies:
        expect_same_at_the_edges(
            learner_client,
            reference_client,
            reference_contract,
            "POST",
            "/users",
            body=body,
            ignore_keys=("id", "created_at"),
        )


@rule("pydantic-7", hint="New users are numbered from 1 and read back as created.")
def test_a_fresh_app_answers_like_the_reference(start_learner_app, start_reference_app):
    """on a freshly started app, users are created and read back as by the reference"""
    steps = [
        ("POST", "/users", {"json": {"username": "  ada  ", "email": "ada@example.org"}}),
        ("POST", "/users", {"json": {"username": "grace", "email": "grace@example.org"}}),
        ("GET", "/users/1", {}),
        ("GET", "/users/2", {}),
        ("GET", "/users/3", {}),
    ]
    expect_fresh_apps_agree(
        start_learner_app, start_reference_app, steps, ignore_keys=("created_at",)
    )
