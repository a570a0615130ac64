"""Which sites may read the answers: CORS judged as a browser judges it.

A browser lets a page on another origin read an answer sent with the member's cookie only if
the answer names that exact origin in Access-Control-Allow-Origin and says
Access-Control-Allow-Credentials: true; before a PATCH it asks first (a preflight), and sends
the PATCH only if the preflight's answer allows the origin, the method and every header.
"""

import json

from autograder.engine.checkkit import fail, require, rule, show

COOKIE = {"Cookie": "session=ada-session-7f3c"}
# A browser never preflights these methods, and never asks about these request headers.
SIMPLE_METHODS = {"GET", "HEAD", "POST"}
SAFELISTED = {"accept", "accept-language", "content-language", "content-type"}
STRANGERS = (
    "https://evil.example",
    "https://members.example.com.evil.net",  # the front end's origin as a prefix
    "https://evilmembers.example.com",  # ... as a suffix, with no dot before it
    "https://membersXexample.com",  # a dot a regex did not escape
    "http://members.example.com",  # plain http: anyone on the network can answer for it
    "null",  # a sandboxed iframe, a file:// page, a redirect
)


def frontend_origins(env_file):
    return json.loads(env_file["FRONTEND_ORIGINS"])


def listed(value):
    return {part.strip().lower() for part in (value or "").split(",") if part.strip()}


def readable(response, origin):
    """Whether a browser hands this answer to a credentialed request's page on ``origin``."""
    return (
        response.headers.get("access-control-allow-origin") == origin
        and response.headers.get("access-control-allow-credentials") == "true"
    )


def preflight_refusal(response, origin, method, headers=()):
    """Why a browser would not send ``method`` with ``headers`` from ``origin`` ('' if it would)."""
    if not 200 <= response.status_code < 300:
        return f"the preflight answered {response.status_code}"
    if not readable(response, origin):
        return "the preflight's answer does not name the origin, with credentials allowed"
    methods = listed(response.headers.get("access-control-allow-methods"))
    if method not in SIMPLE_METHODS and method.lower() not in methods:
        return f"{method} is not among the methods it allows"
    allowed = listed(response.headers.get("access-control-allow-headers"))
    missing = [h for h in headers if h.lower() not in SAFELISTED | allowed]
    if missing:
        return f"the header {missing[0]} is not among the headers it allows"
    return ""


def preflight(client, origin, method="PATCH", headers=("content-type",)):
    asked = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers:
        asked["Access-Control-Request-Headers"] = ", ".join(headers)
    return client.request("OPTIONS", "/me", headers=asked)


def read_me(client, origin):
    return client.get("/me", headers={"Origin": origin, **COOKIE})


def said(response):
    names = [
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "vary",
    ]
    got = {n: response.headers[n] for n in names if n in response.headers}
    return f"{response.status_code} " + (
        ", ".join(f"{n}: {v}" for n, v in got.items()) or "with no CORS header"
    )


@rule(
    "security-3",
    hint=(
        '`allow_origins=["*"]` with `allow_credentials=True` makes Starlette name whatever '
        "Origin the request says. Name the front end's origins instead, from the settings."
    ),
)
def test_no_other_site_reads_the_members_account(learner_client):
    """a page on another site cannot read GET /me with the member's cookie"""
    for origin in STRANGERS:
        response = read_me(learner_client, origin)
        allow = response.headers.get("access-control-allow-origin")
        if readable(response, origin) or allow == "*":
            fail(
                f"GET /me with the member's cookie and Origin: {origin} answered {said(response)}. "
                f"A browser hands this answer ({show(response)}) to any page on {origin}: a site "
                "the member merely visits reads their account. Only the front end's origins "
                "(FRONTEND_ORIGINS in the configuration) may be named."
            )


@rule(
    "security-3",
    hint=(
        "A preflight from a site the settings do not name must not be allowed: the browser "
        "then never sends that site's PATCH with the member's cookie."
    ),
)
def test_no_other_site_may_change_the_members_email(learner_client):
    """a page on another site is refused when it asks to PATCH /me"""
    for origin in STRANGERS:
        response = preflight(learner_client, origin)
        if not preflight_refusal(response, origin, "PATCH", ("content-type",)):
            fail(
                f"OPTIONS /me (a preflight: Origin: {origin}, Access-Control-Request-Method: "
                f"PATCH, -Headers: content-type) answered {said(response)}. The browser takes "
                f"this as a yes and sends {origin}'s PATCH /me with the member's cookie: a "
                "stranger's page changes the member's e-mail (and so where the password reset "
                "goes)."
            )


@rule(
    "security-3",
    hint=(
        "Read the allowed origins from the settings (`FRONTEND_ORIGINS` in `.env`, a JSON "
        "list): the preview deployment's origin changes from run to run."
    ),
)
def test_the_front_end_reads_and_changes_the_account(learner_client, learner_env_file):
    """each origin the configuration names reads GET /me and may PATCH it, with the cookie"""
    for origin in frontend_origins(learner_env_file):
        response = read_me(learner_client, origin)
        require(
            response.status_code == 200 and readable(response, origin),
            f"GET /me with the member's cookie and Origin: {origin} (named in FRONTEND_ORIGINS) "
            f"answered {said(response)}; the browser keeps this answer from the front end, so "
            "the member sees no account. Expected Access-Control-Allow-Origin: the origin, and "
            "Access-Control-Allow-Credentials: true. Take the origins from the settings, not "
            "from the code.",
        )
        response = preflight(learner_client, origin)
        refusal = preflight_refusal(response, origin, "PATCH", ("content-type",))
        require(
            not refusal,
            f"OPTIONS /me (a preflight: Origin: {origin}, Access-Control-Request-Method: PATCH, "
            f"-Headers: content-type) answered {said(response)}: {refusal}, so the browser "
            "never sends the front end's PATCH /me.",
        )


@rule(
    "security-3",
    hint=(
        'List the methods and headers the front end uses (`["GET", "PATCH"]`, '
        '`["Content-Type"]`) instead of `"*"`: with credentials, every method and header a '
        "preflight allows is one more request sent with the member's cookie."
    ),
)
def test_only_what_the_front_end_sends_is_allowed(learner_client, learner_env_file):
    """the preflight allows the methods and headers the front end uses, and refuses others"""
    origin = frontend_origins(learner_env_file)[0]
    for method, headers in (("DELETE", ()), ("PUT", ("content-type",)), ("PATCH", ("x-anything",))):
        response = preflight(learner_client, origin, method, headers)
        if not preflight_refusal(response, origin, method, headers):
            asked = f", -Headers: {', '.join(headers)}" if headers else ""
            fail(
                f"OPTIONS /me (a preflight: Origin: {origin}, Access-Control-Request-Method: "
                f"{method}{asked}) answered {said(response)}: allowed, though the front end "
                'sends only GET and PATCH, with Content-Type. `"*"` in allow_methods or '
                "allow_headers lets any page on that origin (a script injected there included) "
                "send them all with the member's cookie."
            )


@rule(
    "security-3",
    hint=(
        "An answer that depends on the Origin must say `Vary: Origin`, or a cache hands one "
        "origin's answer to another. CORSMiddleware says it; a header set by hand may not."
    ),
)
def test_answers_say_they_depend_on_the_origin(learner_client, learner_env_file):
    """GET /me answers say `Vary: Origin`, whichever origin asked"""
    for origin in (frontend_origins(learner_env_file)[0], STRANGERS[0]):
        response = read_me(learner_client, origin)
        require(
            "origin" in listed(response.headers.get("vary")),
            f"GET /me with Origin: {origin} answered {said(response)}, without `Vary: Origin`: "
            "a cache between the app and the browsers may hand this answer to a page on another "
            "origin.",
        )
