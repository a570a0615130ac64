import ast
import secrets

from autograder.engine import source_rules
from autograder.engine.checkkit import (
    body_of,
    expect_routes_ask_for,
    expect_status,
    operation_of,
    require,
    rule,
    show,
)

GRACE, LINUS = 2, 3
# The header in which the checks choose, per request, which member `current_member`'s
# replacement returns (workbook.host.overrides): only FastAPI resolving it for the route serves.
MEMBER_CHOICE = "x-member-choice"


def expect_no_look_at_the_replacement(source):
    """Fail where the code reads what the checks swapped in, or who called it."""
    found = source_rules.override_introspection(source)
    line, spelling = found[0] if found else (0, "")
    require(
        not found,
        f"Line {line} reaches for `{spelling}`: with it, code can find what replaces "
        "`current_member` and answer with it from a route that never asks for the member. "
        "An app never needs to look at its overrides (or at who called it) to serve. "
        "Take the member from `Depends(current_member)`.",
    )


def chosen_members(*members):
    """Members with this run's names, each under a choice drawn for this run."""
    run = secrets.token_hex(4)
    return {
        secrets.token_hex(8): {**member, "name": f"{member['name']} {run}"} for member in members
    }


def protected_requests(contract):
    """Every operation under /me the app documents, as a request a client would send."""
    requests = []
    for path, operations in sorted(contract.get("paths", {}).items()):
        if not path.startswith("/me"):
            continue
        for method in operations:
            url = path.replace("{loan_id}", "3")
            body = {"json": {"book_id": 2}} if method == "post" else {}
            requests.append((method.upper(), path, url, body))
    require(requests, "The app documents no operation under /me.")
    return requests


def _expect_401s(answers):
    """Fail unless every (request line, response) answered 401 with a Bearer challenge.

    Routes that ran for a caller who proved nothing are named first: they are the hole."""
    ran = [
        f"{line} answered {show(response)}"
        for line, response in answers
        if response.status_code != 401
    ]
    require(
        not ran,
        "; ".join(ran) + ": the operation ran for a caller who proved nothing. Every route of "
        "a member's own data needs the member, from one dependency.",
    )
    for line, response in answers:
        challenge = response.headers.get("www-authenticate", "")
        require(
            challenge.lower().startswith("bearer"),
            f"{line} answered 401 without `WWW-Authenticate: Bearer` (it had {challenge!r}): "
            "the header tells a client which credentials to send.",
        )


@rule(
    "security-4",
    hint=(
        "One route forgot the check. Make the member a dependency (`CurrentMember`) that every "
        "route under /me takes, so none can forget it."
    ),
)
def test_every_route_refuses_a_request_without_a_token(
    learner_client, learner_contract, learner_database
):
    """every operation under /me answers 401 with `WWW-Authenticate: Bearer` when no token comes"""
    answers = [
        (f"{method} {url} without a token", learner_client.request(method, url, **body))
        for method, _path, url, body in protected_requests(learner_contract)
    ]
    _expect_401s(answers)
    left = learner_database.rows("SELECT count(*) FROM loans WHERE id = 3")[0][0]
    require(left == 1, "A request without a token deleted loan 3.")


@rule("di-2", hint="An unknown token is no better than none: 401, from the same dependency.")
def test_every_route_refuses_an_unknown_token(learner_client, learner_contract, learner_database):
    """every operation under /me answers 401 for a token the library never issued"""
    unknown = learner_database.headers_for("unknown")
    answers = [
        (
            f"{method} {url} with an unknown token",
            learner_client.request(method, url, headers=unknown, **body),
        )
        for method, _path, url, body in protected_requests(learner_contract)
    ]
    _expect_401s(answers)


@rule("di-2", hint="The member comes from the token; a member's loans are theirs only.")
def test_members_see_and_return_only_their_own_loans(learner_client, learner_database):
    """a member lists their own loans, gives one back for good, and cannot give back another's"""
    grace = learner_database.headers_for(GRACE)
    response = learner_client.get("/me/loans", headers=grace)
    expect_status(response, 200, "GET /me/loans as Grace")
    ids = (
        [loan.get("id") for loan in body_of(response)]
        if isinstance(body_of(response), list)
        else []
    )
    expected = [
        row[0]
        for row in learner_database.rows(
            "SELECT id FROM loans WHERE member_id = ? ORDER BY id", (GRACE,)
        )
    ]
    require(
        ids == expected,
        f"GET /me/loans as Grace answered {show(response)}; her loans are {expected}.",
    )
    linus = learner_database.headers_for(LINUS)
    taken = learner_client.delete("/me/loans/1", headers=linus)
    still = learner_database.rows("SELECT count(*) FROM loans WHERE id = 1")[0][0]
    require(
        taken.status_code == 404 and still == 1,
        f"DELETE /me/loans/1 (Grace's loan) as Linus answered {show(taken)}, and the loan is "
        f"{'still there' if still else 'gone'}: a member may only give back their own loans "
        "(404 otherwise).",
    )
    # Her own loan, borrowed for this row and given back: gone from the database afterwards.
    borrowed = learner_client.post("/me/loans", json={"book_id": 2}, headers=grace)
    expect_status(borrowed, 201, "POST /me/loans as Grace")
    loan = body_of(borrowed).get("id") if isinstance(body_of(borrowed), dict) else None
    given = learner_client.delete(f"/me/loans/{loan}", headers=grace)
    left = learner_database.rows("SELECT count(*) FROM loans WHERE id = ?", (loan,))[0][0]
    require(
        given.status_code == 204 and left == 0,
        f"Grace borrowed a book (loan {loan}) and gave it back: DELETE /me/loans/{loan} "
        f"answered {show(given)}, and the loan is {'still in the database' if left else 'gone'}. "
        "Giving back a loan deletes it for good: delete the row and commit the session.",
    )


@rule(
    "di-2",
    hint=(
        "Name the dependency `current_member` and have every route take it: then a test can "
        "put any member in place with `app.dependency_overrides[current_member]`."
    ),
)
def test_the_current_member_can_be_swapped(start_learner_app, learner_source):
    """with `current_member` overridden, the routes serve that member without a token"""
    expect_no_look_at_the_replacement(learner_source)
    expect_routes_ask_for(learner_source, "current_member", [("GET", "/me"), ("GET", "/me/loans")])
    choices = chosen_members(
        {"id": LINUS, "name": "Linus", "email": "linus@library.test", "role": "member"},
        {"id": GRACE, "name": "Grace", "email": "grace@library.test", "role": "member"},
    )
    replacement = {"kind": "model", "class": "MemberRow", "header": MEMBER_CHOICE}
    app = start_learner_app({"current_member": {**replacement, "choices": choices}})
    for choice, member in choices.items():
        chosen = {MEMBER_CHOICE: choice}
        me = app.client.get("/me", headers=chosen)
        require(
            me.status_code == 200
            and body_of(me) == {k: member[k] for k in ("id", "name", "email")},
            f"With `current_member` overridden to return {member['name']}, GET /me (no token) "
            f"answered {show(me)}: the route checks the token itself instead of asking for the "
            "member (`Depends(current_member)`), so the replacement never reaches it.",
        )
        loans = app.client.get("/me/loans", headers=chosen)
        expected = [
            row[0]
            for row in app.database.rows(
                "SELECT id FROM loans WHERE member_id = ? ORDER BY id", (member["id"],)
            )
        ]
        listed = body_of(loans)
        got = [loan.get("id") for loan in listed] if isinstance(listed, list) else None
        require(
            got == expected,
            f"With `current_member` overridden to {member['name']}, GET /me/loans answered "
            f"{show(loans)}; their loans are {expected}.",
        )


@rule("security-4", hint="`HTTPBearer` as a dependency also tells the OpenAPI document.")
def test_the_contract_says_a_token_is_needed(learner_contract):
    """the OpenAPI document says every operation under /me needs a bearer token"""
    schemes = learner_contract.get("components", {}).get("securitySchemes", {})
    bearer_schemes = {
        name
        for name, s in schemes.items()
        if s.get("scheme", "").lower() == "bearer" or s.get("type") == "oauth2"
    }
    for method, path, _, _ in protected_requests(learner_contract):
        needs = operation_of(learner_contract, method, path).get("security", [])
        named = {name for requirement in needs for name in requirement}
        require(
            named & bearer_schemes,
            f"{method} {path} documents no security requirement: generated clients and /docs do "
            "not know to send a token. A security dependency (`HTTPBearer`) declares it.",
        )


def _defines(source, *names):
    """Whether the module defines each of ``names`` at its top level."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    top = {
        node.name
        for node in tree.body
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
    }
    return set(names) <= top


# The header in which the checks choose, per request, the settings `get_settings`' replacement
# returns: the app's own library, or another one whose tokens are others.
LIBRARY_CHOICE = "x-library-choice"


@rule(
    "di-2",
    hint=(
        "Look the token up in the request's session every time: whose a token is belongs to "
        "the database, which can revoke it or be another library's. A dict kept between "
        "requests answers from what it remembers."
    ),
)
def test_a_token_is_the_database_s_to_vouch_for(start_learner_app, learner_source):
    """a token another library issued opens nothing, even after it was used there"""
    if not _defines(learner_source, "get_settings", "Settings"):
        return  # the settings cannot be swapped per request: this row cannot tell
    own, other = secrets.token_hex(8), secrets.token_hex(8)
    choices = {
        own: {"database_url": "{own_database_url}"},
        other: {"database_url": "{other_database_url}"},
    }
    settings = {"kind": "settings", "class": "Settings", "header": LIBRARY_CHOICE}
    app = start_learner_app({"get_settings": {**settings, "choices": choices}})
    libraries = {
        own: ("its own library", app.database),
        other: ("another library", app.other_database),
    }

    def me(library, token_from):
        headers = {LIBRARY_CHOICE: library, **libraries[token_from][1].headers_for(GRACE)}
        return app.client.get("/me", headers=headers)

    # Each library's own token first: where the app does not follow the settings it is given
    # (its engine made from the environment once), this row cannot tell, and says nothing.
    if me(other, other).status_code != 200 or me(own, own).status_code != 200:
        return
    for library, token_from in ((other, own), (own, other)):
        response = me(library, token_from)
        where, _ = libraries[library]
        whose, _ = libraries[token_from]
        require(
            response.status_code == 401,
            f"With `get_settings` overridden per request, GET /me on {where} with Grace's token "
            f"from {whose} (a token {where} never issued, used just before on {whose}) answered "
            f"{show(response)}; expected 401. `current_member` remembered whose token it was "
            "from an earlier request instead of asking the request's session: a token revoked "
            "in the database, or one another library issued, keeps opening the account. Look "
            "the token up with the session `get_db` hands in, every request.",
        )
