import json
import types
import typing

from pydantic import BaseModel

from autograder.engine.checkkit import body_of, expect_status, require, rule, show

# Python's own annotation objects tell the spellings apart at run time: `X | None` builds a
# types.UnionType, `Optional[X]` a typing.Union; `list[str]` is a types.GenericAlias, while
# `List[str]` comes from the typing module. No linter sees models built at run time, so this
# walks the annotations themselves (ruff's UP rules review the source as well).
COLLECTION_MODULES = {"builtins", "collections.abc", "collections"}


def legacy_parts(annotation):
    """The old-style pieces of an annotation, outermost first."""
    found = []
    origin = typing.get_origin(annotation)
    if origin is typing.Union:
        found.append(annotation)
    elif (
        getattr(annotation, "__module__", None) == "typing"
        and isinstance(origin, type)
        and origin.__module__ in COLLECTION_MODULES
    ):
        found.append(annotation)
    for arg in typing.get_args(annotation):
        found.extend(legacy_parts(arg))
    return found


def old_spelling(annotation):
    return repr(annotation).replace("typing.", "")


def modern_spelling(annotation):
    if annotation is type(None):
        return "None"
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(modern_spelling(arg) for arg in args)
    if origin is typing.Annotated:
        return modern_spelling(args[0])
    if isinstance(origin, type) and args:
        return f"{origin.__name__}[{', '.join(modern_spelling(arg) for arg in args)}]"
    return getattr(annotation, "__name__", repr(annotation))


def own_models(module):
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == module.__name__
    ]


def findings_in_models(module):
    lines = []
    for model in own_models(module):
        for name, field in model.model_fields.items():
            if legacy_parts(field.annotation):
                lines.append(
                    f"{model.__name__}.{name} is annotated `{old_spelling(field.annotation)}`; "
                    f"write `{modern_spelling(field.annotation)}`."
                )
    return lines


@rule("pydantic-3")
def test_a_summary_is_computed(learner_client):
    """POST /profiles/summary still summarises a profile"""
    payload = {
        "username": "ada",
        "tags": ["math", "math", "poetry"],
        "scores": {"chess": 3, "go": 7.5},
    }
    response = learner_client.post("/profiles/summary", json=payload)
    expect_status(response, 200, f"POST /profiles/summary with {json.dumps(payload)}")
    expected = {"display_name": "ada", "tag_count": 2, "best_game": "go", "best_score": 7.5}
    require(
        body_of(response) == expected,
        f"POST /profiles/summary answered {show(response)}; expected {expected}.",
    )


@rule("pydantic-3", hint="`str | None = None` keeps None allowed; plain `str = None` does not.")
def test_a_null_nickname_is_still_accepted(learner_client):
    """a nickname may still be null or absent"""
    for payload in ({"username": "grace", "nickname": None}, {"username": "grace"}):
        response = learner_client.post("/profiles/summary", json=payload)
        require(
            response.status_code == 200,
            f"POST /profiles/summary with {json.dumps(payload)} answered {show(response)}; "
            "expected 200. "
            "Dropping Optional must not drop None: the modern spelling is `str | None`.",
        )


@rule("pydantic-3")
def test_model_fields_use_modern_annotations(learner):
    """model fields use X | None, A | B, list[...] and dict[...]"""
    lines = findings_in_models(learner)
    require(not lines, "\n".join(lines))
