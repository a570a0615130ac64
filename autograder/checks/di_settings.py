import ast
import hashlib
import hmac

from autograder.engine import source_rules
from autograder.engine.checkkit import (
    body_of,
    expect_routes_ask_for,
    expect_status,
    fail,
    require,
    rule,
    show,
)

WINDOW = 8  # this many characters of a secret in a row, anywhere, is a leak


def signature(key, path):
    return hmac.new(key.encode(), path.encode(), hashlib.sha256).hexdigest()


@rule(
    "arch-1",
    hint=(
        "The values are in `.env`, which os.environ never sees. A `BaseSettings` class with "
        '`env_file=".env"` reads it, and types each value.'
    ),
)
def test_the_about_page_shows_the_configured_values(learner_client, learner_env_file):
    """GET /about answers the library's name and loan limit from the app's configuration"""
    response = learner_client.get("/about")
    expect_status(response, 200, "GET /about")
    body = body_of(response)
    expected = {
        "library": learner_env_file["LIBRARY_NAME"],
        "max_loans": int(learner_env_file["MAX_LOANS"]),
    }
    got = {key: body.get(key) for key in expected} if isinstance(body, dict) else body
    require(
        got == expected,
        f"GET /about answered {show(response)}; the app's `.env` says {expected}. Settings "
        "read with os.environ miss `.env`, and their defaults hide that they did.",
    )


@rule(
    "di-3",
    hint=(
        "Sign with the key from the settings (`settings.link_signing_key.get_secret_value()`), "
        "which the route asks for with `SettingsDep`."
    ),
)
def test_links_are_signed_with_the_configured_key(learner_client, learner_env_file):
    """download links are signed with LINK_SIGNING_KEY from the configuration"""
    response = learner_client.get("/books/2/link")
    expect_status(response, 200, "GET /books/2/link")
    url = body_of(response).get("url", "") if isinstance(body_of(response), dict) else ""
    expected = f"/files/2?sig={signature(learner_env_file['LINK_SIGNING_KEY'], '/files/2')}"
    require(
        url == expected,
        f"GET /books/2/link answered {show(response)}: the signature is not the one "
        "LINK_SIGNING_KEY from the configuration makes, so the file server (which has the "
        "configured key) would refuse every link.",
    )


@rule(
    "security-2",
    hint="A secret leaves the app in no answer, not even a few characters of it as a 'hint'.",
)
def test_no_secret_in_any_answer(learner_client, learner_env_file, learner_source):
    """no answer carries any part of a secret: the configured key, or one written in the code"""
    secrets = [learner_env_file["LINK_SIGNING_KEY"], *source_rules.secret_literals(learner_source)]
    pieces = {s[i : i + WINDOW] for s in secrets for i in range(len(s) - WINDOW + 1)}
    for url in ("/about", "/books/1/link", "/books/99/link", "/openapi.json"):
        response = learner_client.get(url)
        leaked = sorted(piece for piece in pieces if piece in response.text)
        if leaked:
            fail(
                f"GET {url} answered {show(response)}: it carries part of a secret "
                f"({leaked[0]!r}…). Whoever reads responses (a browser, a proxy's log) has it."
            )


@rule(
    "di-3",
    hint=(
        "Ask for the settings with `Depends(get_settings)` in every route that needs them, "
        "never a `Settings()` built at import: then a test can swap them."
    ),
)
def test_the_settings_can_be_swapped(start_learner_app, learner_source):
    """with `get_settings` overridden, the routes use the settings they are given"""
    expect_routes_ask_for(
        learner_source, "get_settings", [("GET", "/about"), ("GET", "/books/{book_id}/link")]
    )
    values = {
        "database_url": "{other_database_url}",  # other books: the engine must follow
        "library_name": "Override Library",
        "max_loans": 5,
        "link_signing_key": "override-signing-key-0123",
    }
    app = start_learner_app(
        {"get_settings": {"kind": "settings", "class": "Settings", "values": values}}
    )
    about = app.client.get("/about")
    body = body_of(about)
    got = {k: body.get(k) for k in ("library", "max_loans")} if isinstance(body, dict) else body
    require(
        got == {"library": "Override Library", "max_loans": 5},
        f"With `get_settings` overridden, GET /about answered {show(about)}: the route reads its "
        "configuration some other way, so no test can set it.",
    )
    link = app.client.get("/books/2/link")
    expected = f"/files/2?sig={signature(values['link_signing_key'], '/files/2')}"
    require(
        isinstance(body_of(link), dict) and body_of(link).get("url") == expected,
        f"With `get_settings` overridden, GET /books/2/link answered {show(link)}; it must sign "
        "with the overriding settings' key.",
    )
    # Book 3 is public in the app's own database and on the staff shelf in the other one.
    hidden = app.client.get("/books/3/link")
    require(
        hidden.status_code == 404,
        f"With `get_settings` overridden to name another database (where book 3 is a staff "
        f"book), GET /books/3/link answered {show(hidden)}: the books were read from the "
        "database the app found at import. An engine built from `get_settings()` when the "
        "module loads never sees the settings a test hands in: build it from the settings the "
        "request is given (`engine_for(settings.database_url)` in `get_db`).",
    )


@rule(
    "arch-1",
    hint="`@lru_cache` (or `functools.cache`) on `get_settings`: one Settings object, built once.",
)
def test_settings_are_read_once(learner_source):
    """`get_settings` is cached: the environment and `.env` are read once, not per request"""
    function = next(
        (
            node
            for node in ast.walk(ast.parse(learner_source))
            if isinstance(node, ast.FunctionDef) and node.name == "get_settings"
        ),
        None,
    )
    require(function is not None, "There is no `def get_settings()` for the routes to depend on.")
    names = {
        getattr(d.func if isinstance(d, ast.Call) else d, "attr", None)
        or getattr(d.func if isinstance(d, ast.Call) else d, "id", None)
        for d in function.decorator_list
    }
    require(
        names & {"cache", "lru_cache"},
        f"`get_settings` (line {function.lineno}) builds a new Settings for every request that "
        "asks: `.env` is read and parsed each time. Cache it with `@lru_cache`.",
    )


@rule(
    "security-2",
    hint="Log that a link was signed, never with what: a `SecretStr` prints as '**********'.",
    evidence="reported",
)
def test_no_secret_in_what_the_app_printed(learner_client, learner_env_file, learner_report):
    """nothing the app printed or logged carries the configured key"""
    learner_client.get("/books/3/link")
    key = learner_env_file["LINK_SIGNING_KEY"]
    pieces = {key[i : i + WINDOW] for i in range(len(key) - WINDOW + 1)}
    printed = learner_report.output
    leaked = sorted(piece for piece in pieces if piece in printed)
    if leaked:
        line = next(line for line in printed.splitlines() if leaked[0] in line)
        fail(
            f"The app printed a line with part of LINK_SIGNING_KEY ({leaked[0]!r}…): "
            f"{line[:200]!r}. Logs are read by more people, and kept longer, than keys should be."
        )


def _string_constants(source):
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    ]


@rule(
    "security-2",
    hint=(
        "No default for the signing key, not even one made by a `default_factory`: "
        "`link_signing_key: SecretStr`. Where it is not configured, Settings refuses to build, "
        "and nothing is signed with a key everyone who has the code knows."
    ),
)
def test_no_link_is_signed_with_a_key_nobody_configured(
    start_learner_app, learner_env_file, learner_source
):
    """with no `.env` (no LINK_SIGNING_KEY anywhere), no link is signed with a key of the code's"""
    # `_env_file=None`: pydantic-settings reads the environment only, where the key is not.
    unconfigured = {"kind": "settings", "class": "Settings", "values": {"_env_file": None}}
    app = start_learner_app({"get_settings": unconfigured})
    response = app.client.get("/books/2/link")
    if response.status_code != 200:
        return  # no link made: the settings refused to build, or the route refused to sign
    url = body_of(response).get("url", "") if isinstance(body_of(response), dict) else ""
    configured = f"/files/2?sig={signature(learner_env_file['LINK_SIGNING_KEY'], '/files/2')}"
    if url == configured:
        return  # the key came from the configuration after all (loaded into the environment)
    known = next(
        (
            key
            for key in _string_constants(learner_source)
            if url == f"/files/2?sig={signature(key, '/files/2')}"
        ),
        None,
    )
    which = f"the key {known[:4]}… written in the code" if known else "a key nobody configured"
    fail(
        "With `get_settings` overridden to `Settings(_env_file=None)` (no `.env`, so "
        f"LINK_SIGNING_KEY is set nowhere), GET /books/2/link answered {show(response)}: a link "
        f"signed with {which}. A deployment that forgot its key would hand out links anyone "
        "with the code can forge, and nothing says so. Give `link_signing_key` no default (a "
        "`default_factory` is a default too): Settings then refuses to build without it."
    )
