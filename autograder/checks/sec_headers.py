import base64
import hashlib
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

from autograder.engine.checkkit import require, rule, show

# A note whose text the renderer fails on (an unbalanced `**`): an error nobody handles.
BROKEN_PAGE = "/notes/3/preview"
# What the renderer's error says, for the logs only.
INTERNAL_WORDS = ("Traceback", 'File "', "ValueError", "renderer", "unbalanced", "notes_rev")
# Every policy but those that hand another site the whole address (`unsafe-url`, and the
# browsers' old default `no-referrer-when-downgrade`): a path holds ids and tokens.
SAFE_REFERRERS = {
    "no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin", "origin",
    "origin-when-cross-origin",
}  # fmt: skip
FRAME_OPTIONS = {"deny", "sameorigin"}
# Sources that let any script run, or a script of any site: no policy against injection.
LOOSE_SOURCES = {"*", "'unsafe-inline'", "'unsafe-eval'", "http:", "https:", "data:", "blob:"}


def _values(response: httpx.Response, name: str) -> list[str]:
    """Every value the answer sent for ``name``, a header sent twice or joined with commas
    counted as each of its values."""
    return [part.strip() for value in response.headers.get_list(name) for part in value.split(",")]


def _policies(response: httpx.Response) -> list[dict[str, list[str]]]:
    """Each Content-Security-Policy the answer sent (all are enforced), as directive: sources."""
    found = []
    for value in response.headers.get_list("content-security-policy"):
        directives: dict[str, list[str]] = {}
        for directive in value.split(";"):
            name, *sources = directive.split()
            if name:
                directives.setdefault(name.lower(), [s.lower() for s in sources])
        found.append(directives)
    return found


def _script_sources(policy: dict[str, list[str]]) -> list[str] | None:
    return policy.get("script-src", policy.get("default-src"))


def _loose(sources: list[str]) -> set[str]:
    """The sources that let any script run, as a browser of today reads them: with a nonce or
    a hash 'unsafe-inline' is ignored, with 'strict-dynamic' hosts and schemes are too."""
    loose = set(sources) & LOOSE_SOURCES
    if any(re.match(r"'(sha(256|384|512)-|nonce-)", source) for source in sources):
        loose.discard("'unsafe-inline'")
        if "'strict-dynamic'" in sources:
            loose -= {"*", "http:", "https:"}
    return loose


def _frames_refused(response: httpx.Response) -> bool:
    options = [value.lower() for value in _values(response, "x-frame-options")]
    if options and all(value in FRAME_OPTIONS for value in options):
        return True
    return any(
        policy.get("frame-ancestors") and set(policy["frame-ancestors"]) <= {"'none'", "'self'"}
        for policy in _policies(response)
    )


def policy_problems(response: httpx.Response) -> list[str]:
    """What is missing or weak among the headers every answer must carry (empty: none)."""
    problems = []
    sniffing = _values(response, "x-content-type-options")
    if not sniffing or any(value.lower() != "nosniff" for value in sniffing):
        said = f" (it sent `{', '.join(sniffing)}`)" if sniffing else ""
        problems.append(f"`X-Content-Type-Options: nosniff`{said}")
    if not _frames_refused(response):
        problems.append(
            "a frame policy (`X-Frame-Options: DENY` or `SAMEORIGIN`, or a CSP "
            "`frame-ancestors 'none'`)"
        )
    referrers = _values(response, "referrer-policy")
    if not referrers or referrers[-1].lower() not in SAFE_REFERRERS:  # the last one known wins
        said = f" (it sent `{', '.join(referrers)}`)" if referrers else ""
        problems.append(f"a `Referrer-Policy` that keeps paths to itself{said}")
    policies = _policies(response)
    strict = [
        policy
        for policy in policies
        if _script_sources(policy) is not None and not _loose(_script_sources(policy))
    ]
    if not strict:
        sent = "; ".join(response.headers.get_list("content-security-policy"))
        said = f" (it sent `{sent}`, which lets any script run)" if sent else ""
        problems.append(f"a `Content-Security-Policy` with `default-src` or `script-src`{said}")
    return problems


def expect_protected(response: httpx.Response, request_line: str, why: str = "") -> None:
    problems = policy_problems(response)
    require(
        not problems,
        f"{request_line} answered {response.status_code} without "
        + "; without ".join(problems)
        + f".{why}",
    )


OUTSIDE = (
    " An answer made outside your header middleware never passes through it: "
    "`@app.exception_handler(Exception)` answers from Starlette's ServerErrorMiddleware, which "
    "wraps every middleware you add. Catch the error in a pure ASGI middleware added first (the "
    "innermost), and send a generic 500 through `send`, so the layers outside decorate it."
)


@rule(
    "security-10",
    hint=(
        "Set the headers in one middleware that sees every answer, not in a route: "
        "`X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY`, `Referrer-Policy: "
        "no-referrer` and a `Content-Security-Policy` such as `default-src 'none'`."
    ),
)
def test_every_answer_carries_the_headers(learner_client):
    """a note, a new note and a note's page each carry the security headers"""
    new = {"title": "Groceries", "body": "milk, **bread**"}
    for request_line, response in (
        ("GET /notes/1", learner_client.get("/notes/1")),
        (f"POST /notes with {new}", learner_client.post("/notes", json=new)),
        ("GET /notes/1/preview", learner_client.get("/notes/1/preview")),
    ):
        require(
            response.status_code < 300,
            f"{request_line} answered {show(response)}; expected it to succeed.",
        )
        expect_protected(response, request_line)


@rule(
    "security-10",
    hint=(
        "A refusal is an answer too: a 404, a 405 or a 422 made by FastAPI itself must pass "
        "through the same middleware as a 200. Headers set in a route or a dependency are "
        "lost when the request is refused before or during it."
    ),
)
def test_refusals_carry_the_headers(learner_client):
    """a 404, a 405 and a 422 carry the security headers too"""
    for request_line, status, response in (
        ("GET /notes/999999 (no such note)", 404, learner_client.get("/notes/999999")),
        ("DELETE /notes/1 (no such method)", 405, learner_client.delete("/notes/1")),
        (
            'POST /notes with {"title": ""} (an empty title)',
            422,
            learner_client.post("/notes", json={"title": ""}),
        ),
    ):
        require(
            response.status_code == status,
            f"{request_line} answered {show(response)}; expected status {status}.",
        )
        expect_protected(response, request_line)


def _broken_page(learner_client):
    request_line = f"GET {BROKEN_PAGE} (a note the renderer fails on)"
    response = learner_client.get(BROKEN_PAGE)
    require(
        response.status_code == 500,
        f"{request_line} answered {show(response)}; expected status 500: the renderer raises "
        "on this note, and nothing should hide that from the client's status.",
    )
    return request_line, response


@rule(
    "security-10",
    hint=(
        "The 500 is made outside every `add_middleware` layer when an "
        "`@app.exception_handler(Exception)` answers it. Write an error boundary, a pure ASGI "
        "middleware that catches the error, logs it and sends a generic JSON 500 through "
        "`send`, and add it first, before the headers middleware."
    ),
)
def test_an_unhandled_error_carries_the_headers(learner_client):
    """an unhandled error's 500 carries the security headers too"""
    request_line, response = _broken_page(learner_client)
    expect_protected(response, request_line, OUTSIDE)


@rule(
    "security-8",
    hint=(
        "Log the error on the server (`log.exception(...)`) and answer "
        '`{"detail": "Internal Server Error"}`: never the traceback or the error\'s text.'
    ),
)
def test_an_unhandled_error_tells_nothing(learner_client):
    """an unhandled error's 500 says nothing of what went wrong inside"""
    request_line, response = _broken_page(learner_client)
    told = [word for word in INTERNAL_WORDS if word.lower() in response.text.lower()]
    require(
        not told,
        f"{request_line} answered {show(response)}: it tells the client what failed inside "
        f"({', '.join(told)}). Log the error on the server; answer a generic 500.",
    )


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.inline: list[str] = []
        self.nonces: list[str] = []
        self._in_inline = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            named = dict(attrs)
            if named.get("nonce"):  # allowed by the policy's 'nonce-…' alone: judged there
                self.nonces.append(named["nonce"] or "")
            elif named.get("src"):
                self.sources.append(named["src"] or "")
            else:
                self._in_inline = True
                self.inline.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline = False

    def handle_data(self, data: str) -> None:
        if self._in_inline:
            self.inline[-1] += data


def _allows(sources: list[str], url: str, page: str) -> bool:
    """Whether a script at ``url`` on ``page`` may load under these script sources (CSP's
    source expressions: a scheme, a host with an optional path, `*`, 'self')."""
    where, here = urlsplit(urljoin(page, url)), urlsplit(page)
    for source in sources:
        if source in ("*", f"{where.scheme}:"):
            return True
        if source == "'self'" and (where.scheme, where.netloc) == (here.scheme, here.netloc):
            return True
        if source.startswith("'") or source.endswith(":"):
            continue
        allowed = urlsplit(source if "://" in source else f"{where.scheme}://{source}")
        host, wanted = allowed.netloc.lower(), where.netloc.lower()
        same_host = wanted.endswith(host[1:]) if host.startswith("*.") else wanted == host
        path = allowed.path
        same_path = not path or (
            where.path.startswith(path) if path.endswith("/") else where.path == path
        )
        if allowed.scheme == where.scheme and same_host and same_path:
            return True
    return False


def _inline_allowed(sources: list[str], script: str) -> bool:
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    if f"'sha256-{digest}'".lower() in sources:
        return True
    hashed = any(re.match(r"'(sha(256|384|512)-|nonce-)", source) for source in sources)
    return "'unsafe-inline'" in sources and not hashed


@rule(
    "security-10",
    hint=(
        "FastAPI's /docs page loads Swagger UI from cdn.jsdelivr.net and starts it with one "
        "inline script: send a policy for /docs that allows them (or serve no /docs in "
        "production, `docs_url=None`), and keep the strict one for everything else."
    ),
)
def test_the_docs_page_still_works(learner_client):
    """where the app serves /docs, its policy lets the page's scripts run"""
    response = learner_client.get("/docs")
    if response.status_code != 200 or "html" not in response.headers.get("content-type", ""):
        return  # no docs page (docs_url=None): nothing to break
    scripts = _Scripts()
    scripts.feed(response.text)
    page = str(response.url)
    for policy in _policies(response):
        sources = _script_sources(policy)
        if sources is None:
            continue
        blocked = [url for url in scripts.sources if not _allows(sources, url, page)]
        blocked += ["its inline script"] * sum(
            not _inline_allowed(sources, script) for script in scripts.inline
        )
        blocked += [
            f"its script of nonce {nonce}"
            for nonce in scripts.nonces
            if f"'nonce-{nonce}'".lower() not in sources
        ]
        require(
            not blocked,
            f"GET /docs answers the Swagger page, but its Content-Security-Policy "
            f"(`{'; '.join(response.headers.get_list('content-security-policy'))}`) blocks "
            f"{', '.join(f'`{b}`' if '/' in b else b for b in blocked)}: in a browser the page "
            "stays blank.",
        )
