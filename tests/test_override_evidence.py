"""What decides an override row when an app could imitate the override: which dependencies an
unread part of the code could stand for, a replacement only FastAPI's own resolution gets to
serve, and the spellings with which code would look at what was swapped in."""

import textwrap
import types
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends, FastAPI, Request, Security
from fastapi.dependencies.utils import get_dependant, solve_dependencies
from fastapi.testclient import TestClient
from pydantic import BaseModel

from autograder.engine.source_rules import override_introspection, route_dependencies
from workbook.host import overrides

MEMBERS = textwrap.dedent("""
    from typing import Annotated
    from fastapi import Depends, FastAPI

    async def current_member(): ...
    async def member_from_token(): ...
    async def audit_request(): ...
""")


def asks_for_current_member(code: str, path: str = "/me") -> bool | None:
    reading = route_dependencies(MEMBERS + textwrap.dedent(code), "GET", path)
    assert reading is not None and reading.unread, "the route must hold a part the reading skips"
    return reading.asks_for("current_member")


def test_an_unread_dependency_that_cannot_hold_the_member_decides_nothing_for_it():
    assert (
        asks_for_current_member("""
        AUDIT = {"audit": audit_request}
        app = FastAPI(dependencies=[Depends(AUDIT["audit"])])

        @app.get("/me")
        async def me(member=Depends(member_from_token)): ...
    """)
        is False
    )


@pytest.mark.parametrize(
    "code",
    [
        # the table holds it
        """
        DEPENDENCIES = {"member": current_member}
        """,
        # a decorator registers it
        """
        DEPENDENCIES = {}

        def register(function):
            DEPENDENCIES["member"] = function
            return function

        @register
        async def current_member(): ...
        """,
        # a helper stores what it is handed
        """
        DEPENDENCIES = {}

        def keep(table, key, function):
            table[key] = function

        keep(DEPENDENCIES, "member", current_member)
        """,
        # a loop fills it
        """
        DEPENDENCIES = {}
        for key, function in [("member", current_member)]:
            DEPENDENCIES[key] = function
        """,
        # globals written by a name made at run time
        """
        DEPENDENCIES = {"member": audit_request}
        globals()["DEPENDENCIES"] = {"member": current_member}
        """,
        # imported from a module the reading does not see
        """
        from library.dependencies import DEPENDENCIES
        """,
    ],
)
def test_an_unread_dependency_that_could_be_the_member_is_left_to_behaviour(code):
    route = """
        app = FastAPI()

        @app.get("/me")
        async def me(member=Depends(DEPENDENCIES["member"])): ...
    """
    assert asks_for_current_member(code + route) is None


# --- a replacement only FastAPI's resolution serves -------------------------------------------


class Member(BaseModel):
    id: int
    name: str


async def current_member() -> Member:
    raise AssertionError("replaced in every test here")


async def require_member(member: Annotated[Member, Depends(current_member)]) -> Member:
    return member


async def by_hand(request: Request) -> Member:
    """What an imitation does: call the replacement itself, handing it the choice."""
    replacement = request.app.dependency_overrides[current_member]
    return await replacement(choice=request.headers["x-choice"])


async def resolved_by_hand(request: Request) -> Member:
    """A closer imitation: have FastAPI resolve the replacement, from the app's own code."""
    replacement = request.app.dependency_overrides[current_member]
    solved = await solve_dependencies(
        request=request,
        dependant=get_dependant(path="", call=replacement),
        async_exit_stack=request.scope["fastapi_inner_astack"],
        embed_body_fields=False,
    )
    return await replacement(**solved.values)


def served_app(raise_server_exceptions: bool = False) -> TestClient:
    app = FastAPI()
    admin = APIRouter(prefix="/admin", dependencies=[Depends(require_member)])

    @app.get("/me")
    async def me(member: Annotated[Member, Security(current_member, scopes=["loans"])]) -> Member:
        return member

    @admin.get("/members")
    async def members(member: Annotated[Member, Depends(require_member)]) -> Member:
        return member

    @app.get("/by-hand")
    async def hand(member: Annotated[Member, Depends(by_hand)]) -> Member:
        return member

    @app.get("/resolved-by-hand")
    async def resolved(member: Annotated[Member, Depends(resolved_by_hand)]) -> Member:
        return member

    app.include_router(admin)
    module = types.ModuleType("answer")
    module.current_member, module.Member = current_member, Member
    choices = {"first": {"id": 1, "name": "Ada"}, "second": {"id": 2, "name": "Grace"}}
    spec = {"kind": "model", "class": "Member", "header": "x-choice", "choices": choices}
    overrides.apply(app, module, {"current_member": spec})
    return TestClient(app, raise_server_exceptions=raise_server_exceptions)


def test_the_member_chosen_for_each_request_reaches_every_route_that_asks_for_it():
    with served_app() as client:
        for path in ("/me", "/admin/members"):
            assert client.get(path, headers={"x-choice": "first"}).json() == {
                "id": 1,
                "name": "Ada",
            }
            assert client.get(path, headers={"x-choice": "second"}).json()["name"] == "Grace"
        unchosen = client.get("/me")
        assert unchosen.status_code == 422  # FastAPI's own validation of the header
        assert client.get("/me", headers={"x-choice": "third"}).status_code == 400


@pytest.mark.parametrize("path", ["/by-hand", "/resolved-by-hand"])
def test_the_replacement_called_by_the_apps_own_code_refuses(path):
    with served_app(raise_server_exceptions=True) as client, pytest.raises(overrides.CalledByHand):
        client.get(path, headers={"x-choice": "first"})


def test_the_code_compared_is_fastapis_own():
    assert overrides.SOLVE_CODE is solve_dependencies.__code__
    assert any(code.co_name == "app" for code in overrides.HANDLER_CODES)


# --- looking at what was swapped in ------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "spelling"),
    [
        ("overrides = request.app.dependency_overrides", "dependency_overrides"),
        ('overrides = getattr(request.app, "dependency_" + "overrides")', "dependency_overrides"),
        ("table = replacement.__closure__[0].cell_contents", "__closure__"),
        ("caller = sys._getframe(1).f_locals", "_getframe"),
        ("import gc", "import gc"),
        ("from inspect import getclosurevars", "import inspect"),
        ("frame = error.__traceback__.tb_frame", "__traceback__"),
        ('vars(replacement)["x"]', "vars(...)"),
    ],
)
def test_spellings_that_look_at_a_replacement_are_found(line, spelling):
    found = override_introspection(line)
    assert spelling in {each for _, each in found}, found
    assert all(at == 1 for at, _ in found)


def test_the_references_and_correct_alternatives_look_at_nothing():
    from autograder import registry

    loaded = registry.load()
    for exercise in ("di-current-member", "di-admin-router"):
        assert override_introspection(loaded.exercise(exercise).reference_source()) == []
    assert override_introspection("def broken(:") == []


# --- SQL text put together at run time -----------------------------------------------------------


@pytest.mark.parametrize(
    "code",
    [
        "text(f\"SELECT * FROM books WHERE title = '{q}'\")",
        'text("".join(["SELECT * FROM books WHERE title = \'", q, "\'"]))',
        "text(make_sql(q))",
        'connection.exec_driver_sql("SELECT * FROM books WHERE id = %s" % q)',
        "sql = \"SELECT * FROM books WHERE title = '{}'\".format(q)\nawait session.execute(sql)",
    ],
)
def test_sql_text_put_together_at_run_time_is_found(code):
    from autograder.engine.source_rules import sql_text_built_at_run_time

    assert sql_text_built_at_run_time(code), code


@pytest.mark.parametrize(
    "code",
    [
        'text("SELECT * FROM books WHERE title LIKE :pattern").bindparams(pattern=f"%{q}%")',
        'BASE = "SELECT * FROM books "\ntext(BASE + "WHERE author = :author")',
        "await session.execute(select(BookRow).where(BookRow.author == author))",
        "statement = select(BookRow)\nawait session.execute(statement)",
    ],
)
def test_sql_text_written_in_the_code_is_fine(code):
    from autograder.engine.source_rules import sql_text_built_at_run_time

    assert sql_text_built_at_run_time(code) == [], code


# --- what sets a check's request apart -----------------------------------------------------------


def test_a_request_over_the_checks_unix_socket_has_a_tcp_server_address():
    from workbook.host.answer import as_a_client_sent_it

    served, _ = as_a_client_sent_it({"type": "http", "headers": [], "server": ("/a.sock", None)})
    assert served["server"] == ("127.0.0.1", 8000)
    assert served["client"][0] == "127.0.0.1" and isinstance(served["client"][1], int)
    kept, _ = as_a_client_sent_it({"type": "http", "headers": [], "server": ("10.0.0.2", 80)})
    assert kept["server"] == ("10.0.0.2", 80)


@pytest.mark.parametrize(
    "line",
    [
        "from workbook.host.blocking import CURRENT_REQUEST",
        "import workbook.host.answer",
        'CURRENT = importlib.import_module("workbook.host.blocking")',
        'checks = sys.modules.get("autograder.engine.checkkit")',
        "from workbook import host",
    ],
)
def test_an_app_that_reaches_the_graders_machinery_is_found(line):
    from autograder.engine.source_rules import findings

    assert "WB401" in {finding.code for finding in findings(line)}, line


def test_the_fake_services_helpers_stay_importable():
    from autograder.engine.source_rules import findings

    code = "from workbook.upstreams import audit_service_url\nfrom workbook.fakes import prices"
    assert [f for f in findings(code) if f.code == "WB401"] == []
