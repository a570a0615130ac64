"""The workbook's own source rules (WB1xx-WB3xx) read the code as it is meant, not as it is
spelled: aliases, `getattr` with a name the code spells out, strings built from literals,
helpers that pass a keyword on, and the app's internals reached by a name chosen at run time."""

import textwrap

import pytest

from autograder import registry
from autograder.engine.source_rules import findings

APP = """
from fastapi import FastAPI

async def open_audit(): ...
async def close_audit(): ...

app = FastAPI()
"""


def codes(code: str, wanted: str) -> list[int]:
    """The lines (of ``code``) with a ``wanted`` finding."""
    offset = len(APP.splitlines())
    found = findings(APP + textwrap.dedent(code))
    return sorted({f.line - offset for f in found if f.code == wanted})


LIFESPAN_HOOKS = {
    "the router's lists": """
        app.router.on_startup.append(open_audit)
        app.router.on_shutdown.extend([close_audit])
    """,
    "the router's add_event_handler": """
        app.router.add_event_handler("startup", open_audit)
    """,
    "on_event through an alias": """
        when = app.on_event
        when("startup")(open_audit)
    """,
    "on_event through getattr and a built name": """
        getattr(app, "on_" + "event")("startup")(open_audit)
    """,
    "an imported alias of the app class": """
        from fastapi import FastAPI as App
        other = App(on_startup=[open_audit])
    """,
    "a helper that passes the keyword on": """
        def build(**extra):
            return FastAPI(**extra)
        built = build(on_startup=[open_audit])
    """,
    "keywords from a dict": """
        hooks = {"on_startup": [open_audit]}
        built = FastAPI(**hooks)
    """,
    "setattr with an f-string": """
        setattr(app.router, f"on_{'shut'}down", [close_audit])
    """,
    "a name chosen at run time": """
        name = "".join(reversed("tneve_no"))
        getattr(app, name)("startup")(open_audit)
    """,
    "a helper handed the app and a run-time name": """
        def wire(target, hook, handlers):
            getattr(target, hook).extend(handlers)
        wire(app.router, "".join(reversed("putrats_no")), [open_audit])
    """,
    "the app's attributes by name": """
        vars(app.router)["on_" + "startup"].append(open_audit)
    """,
}


@pytest.mark.parametrize("spelling", list(LIFESPAN_HOOKS), ids=list(LIFESPAN_HOOKS))
def test_the_old_start_up_hooks_are_found_however_they_are_spelled(spelling):
    assert codes(LIFESPAN_HOOKS[spelling], "WB201"), spelling


def test_a_finding_through_an_alias_names_the_line_of_the_use():
    assert codes(
        """
        when = app.on_event

        @when("startup")
        async def started(): ...
        """,
        "WB201",
    ) == [2, 4]


def test_pydantic_1_spellings_through_aliases_and_getattr():
    source = """
        from pydantic import BaseModel, ConfigDict as Settings, validator as check

        class User(BaseModel):
            model_config = Settings(orm_mode=True)
            name: str

            @check("name")
            def named(cls, value): return value

        parse = getattr(User, "parse_" + "obj")
        user = parse({"name": "Ada"})
        dump = user.dict
        dump()
    """
    assert codes(source, "WB101") == [5]
    assert codes(source, "WB103") == [8]
    assert codes(source, "WB102") == [12, 14]


def test_a_task_started_through_an_alias_is_still_thrown_away():
    source = """
        import asyncio

        start = asyncio.create_task

        async def later(): ...

        async def handler():
            start(later())
    """
    assert codes(source, "WB202") == [9]


def test_names_chosen_at_run_time_on_other_objects_are_left_alone():
    """A correct answer may copy a model's fields by name: only the app's API is guarded."""
    assert not findings(
        APP
        + textwrap.dedent("""
        from pydantic import BaseModel

        class Patch(BaseModel):
            bio: str | None = None

        def changed(patch: Patch) -> dict:
            return {field: getattr(patch, field) for field in patch.model_fields_set}

        def apply(target: object, changes: dict) -> None:
            for field, value in changes.items():
                setattr(target, field, value)

        @app.get("/ping")
        async def ping(): return {"events": "on startup, on shutdown"}
        """)
    )


@pytest.mark.parametrize("exercise", registry.load().exercises, ids=lambda e: e.id)
def test_no_reference_breaks_a_workbook_rule(exercise):
    assert findings(exercise.reference_source()) == []


def test_a_pydantic_1_method_named_at_run_time_or_through_a_helper():
    source = """
        from operator import methodcaller

        from pydantic import BaseModel

        class Item(BaseModel):
            sku: str

        def call(obj, name, *args):
            return getattr(obj, name)(*args)

        item = call(Item, "parse_obj", {"sku": "KT-1"})
        data = methodcaller("dict")(item)
        other = getattr(Item, "".join(reversed("jbo_esrap")))({"sku": "MG-3"})
        again = call(Item, "jbo_esrap"[::-1], {"sku": "MG-3"})
    """
    assert codes(source, "WB102") == [12, 13]
    assert codes(source, "WB203") == [14, 15]
