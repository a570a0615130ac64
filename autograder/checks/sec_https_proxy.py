"""The app behind a TLS-terminating proxy on its own machine (127.0.0.1).

The checks play the proxy, connecting from 127.0.0.1 with X-Forwarded-Proto and
X-Forwarded-For, and a stranger, connecting from 127.0.0.2 with whatever headers it likes.
The app is served with uvicorn's own proxy handling off (the registry's ``served_over``), so
only the app's own layers decide what to believe.
"""

import re

from autograder.engine.checkkit import body_of, fail, require, rule, show

DOMAIN = "api.example.com"  # in ALLOWED_HOSTS (.env)
STRANGER = "127.0.0.2"
VISITOR = "203.0.113.7"  # the address the proxy saw


def proxied(scheme, host=DOMAIN, forwarded_for=VISITOR):
    headers = {"Host": host, "X-Forwarded-Proto": scheme}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    return headers


def said(response):
    location = response.headers.get("location")
    return f"{response.status_code} to {location}" if location else show(response)


@rule(
    "security-9",
    hint=(
        "The proxy talks plain http to the app and says `X-Forwarded-Proto: https`. Let the "
        "proxy's address (from settings) set the scheme: uvicorn's `ProxyHeadersMiddleware`, "
        "outside the redirect."
    ),
)
def test_the_proxys_https_requests_are_answered(learner_client):
    """a request the proxy forwards as https is answered, and the app sees it as https"""
    response = learner_client.get("/whoami", headers=proxied("https"))
    if response.status_code in (301, 302, 303, 307, 308):
        fail(
            f"GET /whoami from the proxy (127.0.0.1) with `X-Forwarded-Proto: https` was "
            f"redirected: {said(response)}. The browser asked for https already; the proxy "
            "will forward the next request the same way, so it redirects forever. Nothing in "
            "the app applies the proxy's X-Forwarded-Proto before the redirect is decided."
        )
    require(
        response.status_code == 200,
        f"GET /whoami from the proxy with `X-Forwarded-Proto: https` and `Host: {DOMAIN}` "
        f"answered {said(response)}; expected 200.",
    )
    body = body_of(response)
    scheme = body.get("scheme") if isinstance(body, dict) else None
    require(
        scheme == "https",
        f"GET /whoami from the proxy with `X-Forwarded-Proto: https` answered {show(response)}: "
        "the app sees the request as "
        f"{scheme!r}, so every link it builds (and every `url_for`) says http.",
    )


@rule(
    "security-9",
    hint=(
        "Plain http must be redirected to https with 307 (the method is kept): Starlette's "
        "`HTTPSRedirectMiddleware`."
    ),
)
def test_plain_http_is_redirected_to_https(learner_client):
    """plain http through the proxy is redirected to https: same host, path and query, 307"""
    for method, url in (("GET", "/orders?page=2"), ("POST", "/orders")):
        response = learner_client.request(
            method, url, headers=proxied("http"), json={"item": "tea"} if method == "POST" else None
        )
        expected = f"https://{DOMAIN}{url}"
        require(
            response.status_code == 307 and response.headers.get("location") == expected,
            f"{method} {url} from the proxy with `X-Forwarded-Proto: http` answered "
            f"{said(response)}; expected 307 to {expected} (307 keeps the method and body, "
            "so a POST stays a POST).",
        )


@rule(
    "security-9",
    hint=(
        "Believe X-Forwarded-Proto only from the proxy: "
        '`ProxyHeadersMiddleware(trusted_hosts=settings.trusted_proxies)`, never "*".'
    ),
)
def test_a_strangers_forged_scheme_is_not_believed(learner_client):
    """a stranger's own `X-Forwarded-Proto: https` is ignored: it is redirected to https"""
    stranger = learner_client.peer(STRANGER)
    response = stranger.get("/whoami", headers=proxied("https", forwarded_for="10.0.0.1"))
    require(
        response.status_code == 307
        and response.headers.get("location") == f"https://{DOMAIN}/whoami",
        f"GET /whoami straight from {STRANGER} (not the proxy) with `X-Forwarded-Proto: https` "
        f"answered {said(response)}; expected 307 to https://{DOMAIN}/whoami. Anyone who "
        "reaches the app past the proxy can claim https (and any client address): trust the "
        "headers from the proxy's address only.",
    )


@rule(
    "security-9",
    hint=(
        "The redirect is built from the Host header. `TrustedHostMiddleware("
        "allowed_hosts=settings.allowed_hosts)`, outside the redirect, refuses other hosts first."
    ),
)
def test_a_host_not_ours_is_refused_never_redirected_to(learner_client):
    """a Host the settings do not name is refused with 400, over http and https alike"""
    stranger = learner_client.peer(STRANGER)
    for who, client, headers in (
        ("the proxy", learner_client, proxied("http", host="evil.example")),
        ("the proxy", learner_client, proxied("https", host="evil.example")),
        (STRANGER, stranger, {"Host": "evil.example"}),
    ):
        response = client.get("/login?next=/account", headers=headers)
        if response.headers.get("location", "").startswith("https://evil.example"):
            fail(
                f"GET /login?next=/account from {who} with `Host: evil.example` was redirected "
                f"to {response.headers['location']}: an open redirect. A link to the app with "
                "a forged Host sends the visitor to the attacker's site. Refuse Hosts the "
                "settings do not name (400) before the redirect is built."
            )
        sent = ", ".join(f"{k}: {v}" for k, v in headers.items())
        require(
            response.status_code == 400,
            f"GET /login?next=/account from {who} with `{sent}` answered {said(response)}; "
            "expected 400 (a Host not in ALLOWED_HOSTS).",
        )


@rule(
    "security-9",
    hint=(
        "Read the client from `request.client.host`, which the proxy layer sets from the "
        "proxy's X-Forwarded-For; the header's first entry is whatever the visitor wrote."
    ),
)
def test_the_client_is_the_one_the_proxy_saw(learner_client):
    """the client address is the visitor the proxy saw, not what the visitor wrote"""
    # The visitor sent `X-Forwarded-For: 198.51.100.9` itself; the proxy added what it saw.
    for forwarded, expected in ((f"198.51.100.9, {VISITOR}", VISITOR), ("", "127.0.0.1")):
        response = learner_client.get("/whoami", headers=proxied("https", forwarded_for=forwarded))
        body = body_of(response)
        client = body.get("client") if isinstance(body, dict) else None
        header = f"`X-Forwarded-For: {forwarded}`" if forwarded else "no X-Forwarded-For"
        require(
            response.status_code == 200 and client == expected,
            f"GET /whoami from the proxy with `X-Forwarded-Proto: https` and {header} answered "
            f"{show(response)}; expected the client {expected}. A visitor writes anything in "
            "front of the proxy's entry: only the last address, added by the trusted proxy, is "
            "the visitor's (rate limits and logs rely on it).",
        )


@rule(
    "security-9",
    hint=(
        "Tell browsers to come back over https only: `Strict-Transport-Security: "
        "max-age=31536000; includeSubDomains` on https answers (a small pure-ASGI middleware, "
        "or the `secure` package)."
    ),
)
def test_https_answers_carry_hsts(learner_client):
    """https answers carry Strict-Transport-Security with a max-age of a day or more"""
    response = learner_client.get("/orders", headers=proxied("https"))
    value = response.headers.get("strict-transport-security", "")
    found = re.search(r"max-age\s*=\s*\"?(\d+)", value, re.IGNORECASE)
    require(
        response.status_code == 200 and found is not None and int(found.group(1)) >= 86400,
        f"GET /orders from the proxy as https answered {response.status_code} with "
        f"Strict-Transport-Security {value!r}; expected max-age of at least 86400 (a year is "
        "usual). Without it a browser's next visit starts over plain http, where anyone on "
        "the network can answer instead of the app.",
    )
