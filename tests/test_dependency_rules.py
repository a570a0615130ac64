"""Dependencies read from the code: where sessions are opened (only dependencies and the lifespan
may), and which dependencies each route reaches."""

import textwrap

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


def test_a_dependency_is_reached_through_a_class_an_alias_and_another_dependency():
    assert route_dependencies(ROUTES, "GET", "/books") == {"Books", "get_db", "get_settings"}
    assert route_dependencies(ROUTES, "GET", "/about") == set()


def test_decorator_and_router_dependencies_count_with_the_routers_prefixes():
    assert route_dependencies(ROUTES, "POST", "/ping") == {"get_settings"}
    assert route_dependencies(ROUTES, "GET", "/admin/members") == {
        "require_librarian",
        "current_member",
        "get_db",
        "get_settings",
    }
    assert "current_member" in route_dependencies(ROUTES, "GET", "/staff/desk")


def test_a_route_the_code_does_not_declare_with_a_decorator_is_not_found():
    assert route_dependencies(ROUTES, "GET", "/ping") is None  # declared for POST only
    assert route_dependencies(ROUTES, "GET", "/added") is None
    assert route_dependencies("def broken(:", "GET", "/") is None
