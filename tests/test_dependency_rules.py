"""Dependencies read from the code: where sessions are opened (only dependencies and the lifespan
may), and which dependencies each route reaches."""

import textwrap

import pytest

from autograder.engine.checkkit import CheckFailed, expect_routes_ask_for
from autograder.engine.source_rules import route_dependencies, sessions_opened_outside_dependencies

HEADER = """
from typing import Annotated
from contextlib import asynccontextmanager
from fastapi import Depends, FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

engine = create_async_engine("sqlite+aiosqlite:///library.sqlite3")
app = FastAPI()
"""


def found(code: str) -> list[tuple[int, str]]:
    source = HEADER + textwrap.dedent(code)
    return [(o.line, o.function) for o in sessions_opened_outside_dependencies(source)]


def test_a_session_opened_in_get_db_and_taken_through_an_alias_is_fine():
    assert not found("""
        async def get_db():
            async with AsyncSession(engine) as session:
                yield session

        SessionDep = Annotated[AsyncSession, Depends(get_db)]

        @app.get("/books")
        async def books(session: SessionDep):
            return []
    """)


def test_a_sessionmaker_made_in_the_lifespan_and_called_in_a_dependency_is_fine():
    assert not found("""
        @asynccontextmanager
        async def lifespan(app):
            sessions = async_sessionmaker(engine)
            async with sessions() as warm_up:
                pass
            yield {"sessions": sessions}

        app = FastAPI(lifespan=lifespan)

        async def get_db(request: Request):
            async with request.state.sessions() as session:
                yield session

        class Books:
            def __init__(self, session: AsyncSession = Depends(get_db)):
                self.session = session

        @app.get("/books")
        async def books(repository: Annotated[Books, Depends()]):
            return []
    """)


def test_a_route_that_opens_its_own_session_is_found_with_its_line():
    assert found("""
        @app.get("/books")
        async def books():
            async with AsyncSession(engine) as session:
                return []
    """) == [(len(HEADER.splitlines()) + 4, "books")]


def test_a_helper_a_factory_a_connection_and_a_module_session_are_found():
    opened = found("""
        sessions = async_sessionmaker(engine)
        shared = AsyncSession(engine)

        def open_session():
            return sessions()

        @app.get("/books")
        async def books():
            async with engine.begin() as connection:
                return []
    """)
    assert [function for _, function in opened] == ["", "open_session", "books"]


def test_a_dependency_called_by_hand_opens_a_session_no_override_reaches():
    opened = found("""
        async def get_db():
            async with AsyncSession(engine) as session:
                yield session

        @app.get("/books")
        async def books(session: Annotated[AsyncSession, Depends(get_db)]):
            return []

        @app.post("/books")
        async def add_book():
            async for session in get_db():
                return {}
    """)
    assert [function for _, function in opened] == ["add_book"]


def test_code_that_does_not_parse_has_no_findings():
    assert sessions_opened_outside_dependencies("def broken(:") == []


# --- which dependencies a route reaches ----------------------------------------------------------

ROUTES = HEADER + textwrap.dedent("""
    from fastapi import APIRouter, Security

    def get_settings(): ...
    async def get_db(settings: Annotated[object, Depends(get_settings)]): ...
    async def current_member(session=Depends(get_db)): ...
    def require_librarian(member: Annotated[object, Security(current_member)]): ...

    SessionDep = Annotated[AsyncSession, Depends(get_db)]
    Librarian = [Depends(require_librarian)]

    class Books:
        def __init__(self, session: SessionDep): ...

    @app.get("/books")
    async def books(repository: Annotated[Books, Depends()]): ...

    @app.get("/about")
    async def about(): ...

    @app.api_route("/ping", methods=["POST"], dependencies=[Depends(get_settings)])
    async def ping(): ...

    admin = APIRouter(prefix="/admin")

    @admin.get("/members", dependencies=Librarian)
    async def members(): ...

    staff = APIRouter(dependencies=[Depends(current_member)])

    @staff.get("/desk")
    async def desk(): ...

    app.include_router(admin)
    app.include_router(staff, prefix="/staff")

    async def added(): ...

    app.add_api_route("/added", added)
""")


def reached(source: str, method: str, path: str) -> set[str] | None:
    reading = route_dependencies(source, method, path)
    if reading is None:
        return None
    assert not reading.unread, reading.unread  # every dependency here can be read
    return set(reading.reached)


def test_a_dependency_is_reached_through_a_class_an_alias_and_another_dependency():
    assert reached(ROUTES, "GET", "/books") == {"Books", "get_db", "get_settings"}
    assert reached(ROUTES, "GET", "/about") == set()


def test_decorator_and_router_dependencies_count_with_the_routers_prefixes():
    assert reached(ROUTES, "POST", "/ping") == {"get_settings"}
    assert reached(ROUTES, "GET", "/admin/members") == {
        "require_librarian",
        "current_member",
        "get_db",
        "get_settings",
    }
    assert "current_member" in reached(ROUTES, "GET", "/staff/desk")


def test_a_route_added_with_add_api_route_is_read_too():
    assert reached(ROUTES, "GET", "/added") == set()


def test_a_route_the_code_does_not_declare_is_not_found():
    assert route_dependencies(ROUTES, "GET", "/ping") is None  # declared for POST only
    assert route_dependencies(ROUTES, "GET", "/nowhere") is None
    assert route_dependencies("def broken(:", "GET", "/") is None


MEMBERS = HEADER + textwrap.dedent("""
    from dataclasses import dataclass
    from functools import partial
    from fastapi import APIRouter, Security
    from fastapi import Depends as Needs
    from fastapi.security import HTTPBearer

    bearer = HTTPBearer()

    async def get_db(): ...
    async def current_member(credentials=Depends(bearer)): ...
""")


def test_a_dependency_made_by_a_factory_is_followed_into_the_function_it_makes():
    source = MEMBERS + textwrap.dedent("""
        def require_role(role: str):
            async def checker(member: Annotated[object, Depends(current_member)]):
                return member
            return checker

        @app.get("/shelves", dependencies=[Depends(require_role("librarian"))])
        async def shelves(): ...

        librarian_only = require_role("librarian")

        @app.get("/stock")
        async def stock(member: Annotated[object, Depends(librarian_only)]): ...
    """)
    assert {"require_role", "checker", "current_member", "bearer"} <= reached(
        source, "GET", "/shelves"
    )
    assert "current_member" in reached(source, "GET", "/stock")


def test_a_factory_that_is_handed_the_dependency_passes_it_on():
    source = MEMBERS + textwrap.dedent("""
        def needing(dependency):
            def wrapped(value=Depends(dependency)):
                return value
            return wrapped

        def needs(dependency):
            return Depends(dependency)

        @app.get("/a")
        async def a(member=Depends(needing(current_member))): ...

        @app.get("/b")
        async def b(member: Annotated[object, needs(current_member)]): ...

        @app.get("/c")
        async def c(member=needs(current_member)): ...
    """)
    for path in ("/a", "/b", "/c"):
        assert "current_member" in reached(source, "GET", path), path


def test_security_an_imported_alias_a_string_annotation_and_nested_annotated():
    source = MEMBERS + textwrap.dedent("""
        Member = Annotated[object, Security(current_member, scopes=["me"])]
        Librarian: TypeAlias = Annotated[Member, Needs()]

        @app.get("/me")
        async def me(member: "Member"): ...

        @app.get("/me/loans")
        async def loans(member=Security(dependency=current_member)): ...

        @app.get("/last-marker-wins")
        async def last(member: Annotated[Member, Depends(get_db)]): ...
    """)
    assert "current_member" in reached(source, "GET", "/me")
    assert "current_member" in reached(source, "GET", "/me/loans")
    # FastAPI uses the last marker of a flattened Annotated: get_db, not current_member.
    assert reached(source, "GET", "/last-marker-wins") == {"get_db"}


def test_classes_instances_partial_and_lambda_dependencies():
    source = MEMBERS + textwrap.dedent("""
        class RoleChecker:
            def __init__(self, role: str):
                self.role = role

            async def __call__(self, member=Depends(current_member)):
                return member

        class Base:
            def __init__(self, member=Depends(current_member)): ...

        class Derived(Base):
            pass

        @dataclass
        class Query:
            member: Annotated[object, Depends(current_member)]

        def with_role(role, member=Depends(current_member)): ...

        @app.get("/instance", dependencies=[Depends(RoleChecker("librarian"))])
        async def instance(): ...

        @app.get("/inherited")
        async def inherited(value: Annotated[Derived, Depends()]): ...

        @app.get("/fields")
        async def fields(value: Annotated[Query, Depends()]): ...

        @app.get("/partial")
        async def with_partial(value=Depends(partial(with_role, "librarian"))): ...

        @app.get("/lambda")
        async def with_lambda(value=Depends(lambda member=Depends(current_member): member)): ...
    """)
    for path in ("/instance", "/inherited", "/fields", "/partial", "/lambda"):
        assert "current_member" in reached(source, "GET", path), path


def test_routers_nested_at_any_depth_add_up_their_prefixes_and_dependencies():
    source = MEMBERS + textwrap.dedent("""
        ADMIN = "/admin"

        def create_app():
            app = FastAPI(dependencies=[Depends(get_db)])
            admin = APIRouter(prefix=ADMIN, dependencies=[Security(current_member)])
            members = APIRouter(prefix="/members")
            loans = APIRouter()

            @loans.get("/{loan_id}")
            async def loan(loan_id: int): ...

            @members.get("")
            async def members_list(): ...

            members.include_router(loans, prefix="/loans")
            admin.include_router(members)
            app.include_router(admin, prefix="/v1")
            return app

        def made_router():
            router = APIRouter(prefix="/made")

            @router.get("/here")
            async def here(): ...

            return router

        app.include_router(made_router())
        get = app.router.get

        @get("/aliased")
        async def aliased(member=Depends(current_member)): ...
    """)
    assert reached(source, "GET", "/v1/admin/members") >= {"current_member", "get_db"}
    assert reached(source, "GET", "/v1/admin/members/loans/{loan_id}") >= {"current_member"}
    assert route_dependencies(source, "GET", "/admin/members") is None  # it is under /v1
    assert reached(source, "GET", "/made/here") == set()
    assert "current_member" in reached(source, "GET", "/aliased")


def test_what_the_reading_cannot_follow_leaves_the_verdict_to_behaviour():
    source = MEMBERS + textwrap.dedent("""
        from somewhere import registry

        @app.get("/looked-up")
        async def looked_up(member=Depends(registry["member"])): ...

        @app.get("/plain")
        async def plain(member=Depends(bearer)): ...
    """)
    looked_up = route_dependencies(source, "GET", "/looked-up")
    assert looked_up is not None and looked_up.unread
    assert looked_up.asks_for("current_member") is None
    plain = route_dependencies(source, "GET", "/plain")
    assert plain is not None and plain.asks_for("current_member") is False


def test_a_session_opened_in_a_dependency_a_factory_makes_is_fine():
    assert not found("""
        def session_for(engine):
            async def session_dependency():
                async with AsyncSession(engine) as session:
                    yield session
            return session_dependency

        SessionDep = Annotated[AsyncSession, Depends(session_for(engine))]

        @app.get("/books")
        async def books(session: SessionDep):
            return []
    """)


def test_a_factory_that_is_never_a_dependency_still_opens_sessions_outside_one():
    assert [
        function
        for _, function in found("""
        def session_for(engine):
            async def session_dependency():
                async with AsyncSession(engine) as session:
                    yield session
            return session_dependency

        @app.get("/books")
        async def books():
            async for session in session_for(engine)():
                return []
    """)
    ] == ["session_dependency"]


def test_a_route_asked_for_a_dependency_the_code_lacks_is_told_to_write_it():
    lacking = textwrap.dedent(
        """
        from fastapi import FastAPI

        app = FastAPI()


        @app.get("/books")
        async def list_books() -> list[str]:
            return []
        """
    )
    with pytest.raises(CheckFailed, match="Your code has no `get_db` yet"):
        expect_routes_ask_for(lacking, "get_db", [("GET", "/books")])
    having = lacking.replace("app = FastAPI()", "app = FastAPI()\n\n\nasync def get_db(): ...")
    with pytest.raises(CheckFailed, match="does not ask for `get_db`"):
        expect_routes_ask_for(having, "get_db", [("GET", "/books")])
