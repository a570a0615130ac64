import secrets

from autograder.engine import source_rules
from autograder.engine.checkkit import (
    expect_routes_ask_for,
    expect_status,
    fail,
    require,
    rule,
    show,
)

ADA, GRACE = 1, 2  # a librarian, a member
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
        "Let the role check take the member from `Depends(current_member)`.",
    )


def admin_requests(contract, loan_id=2):
    """Every operation under /admin the app documents, as a client would send it (the delete
    last, on ``loan_id``)."""
    requests = []
    for path, operations in sorted(contract.get("paths", {}).items()):
        if not path.startswith("/admin"):
            continue
        for method in operations:
            url = path.replace("{member_id}", "3").replace("{loan_id}", str(loan_id))
            body = {"json": {"role": "member"}} if method == "patch" else {}
            requests.append((method.upper(), url, body))
    require(requests, "The app documents no operation under /admin.")
    return sorted(requests, key=lambda r: r[0] == "DELETE")


@rule(
    "security-4",
    hint=(
        "One route forgot the role check. Put it on the router once: "
        '`APIRouter(prefix="/admin", dependencies=[Depends(require_librarian)])`.'
    ),
)
def test_members_who_are_not_librarians_get_403_everywhere(
    learner_client, learner_contract, learner_database
):
    """every operation under /admin answers 403 to a member who is not a librarian"""
    headers = learner_database.headers_for(GRACE)
    answers = []
    for method, url, body in admin_requests(learner_contract):
        response = learner_client.request(method, url, headers=headers, **body)
        if response.status_code != 403:
            answers.append((f"{method} {url}", response))
    if not answers:
        return
    loans = learner_database.rows("SELECT count(*) FROM loans WHERE id = 2")[0][0]
    seen = "; ".join(f"{line} answered {show(response)}" for line, response in answers)
    if any(response.is_success for _, response in answers):
        why = ("Loan 2 is gone. " if not loans else "") + (
            "Each route that checks the role itself is one that can forget it."
        )
    else:
        why = (
            '401 says "who are you?"; Grace signed in and is known, she is just not allowed: '
            "that is 403 Forbidden."
        )
    fail(f"As Grace, a member but no librarian: {seen}. {why}")


@rule("security-4", hint="No token at all: 401, before any role is looked at.")
def test_requests_without_a_token_get_401_everywhere(learner_client, learner_contract):
    """every operation under /admin answers 401 without a token"""
    for method, url, body in admin_requests(learner_contract):
        response = learner_client.request(method, url, **body)
        require(
            response.status_code == 401,
            f"{method} {url} without a token answered {show(response)}; expected 401.",
        )


@rule("di-2", hint="A librarian can do everything here: the dependency lets them through.")
def test_librarians_are_let_through(learner_client, learner_contract, learner_database):
    """a librarian's requests to every operation under /admin succeed"""
    headers = learner_database.headers_for(ADA)
    for method, url, body in admin_requests(learner_contract, loan_id=3):
        response = learner_client.request(method, url, headers=headers, **body)
        require(
            response.is_success,
            f"{method} {url} as Ada, a librarian, answered {show(response)}; expected success.",
        )


@rule(
    "di-2",
    hint="The role check depends on `current_member`, so swapping the member swaps the verdict.",
)
def test_the_role_follows_the_current_member(start_learner_app, learner_source):
    """with `current_member` overridden, a librarian gets in and a member does not"""
    expect_no_look_at_the_replacement(learner_source)
    expect_routes_ask_for(learner_source, "current_member", [("GET", "/admin/members")])
    ada = {"id": ADA, "name": "Ada", "email": "ada@library.test", "role": "librarian"}
    grace = {"id": GRACE, "name": "Grace", "email": "grace@library.test", "role": "member"}
    choices = {secrets.token_hex(8): ada, secrets.token_hex(8): grace}
    replacement = {"kind": "model", "class": "MemberRow", "header": MEMBER_CHOICE}
    app = start_learner_app({"current_member": {**replacement, "choices": choices}})
    for (choice, who), expected in zip(choices.items(), (200, 403), strict=True):
        response = app.client.get("/admin/members", headers={MEMBER_CHOICE: choice})
        expect_status(response, expected, f"GET /admin/members as {who['name']} (overridden)")


LINUS = 3  # a member the sequence promotes and demotes again


@rule(
    "security-4",
    hint=(
        "Read the caller's role from the database on every request (`current_member` loads "
        "the row): a set of librarians kept from an earlier request misses every promotion "
        "and keeps every demoted librarian in."
    ),
)
def test_a_promotion_and_a_demotion_count_at_once(learner_client, learner_database):
    """a member promoted by a librarian gets in on the next request, and is out once demoted"""
    ada, linus = learner_database.headers_for(ADA), learner_database.headers_for(LINUS)
    done = []
    for role, expected in (("librarian", 200), ("member", 403)):
        change = learner_client.patch(f"/admin/members/{LINUS}", headers=ada, json={"role": role})
        require(
            change.is_success,
            f"PATCH /admin/members/{LINUS} with role {role!r}, as Ada (a librarian), answered "
            f"{show(change)}; expected success.",
        )
        done.append(f"Ada made Linus a {role}")
        response = learner_client.get("/admin/members", headers=linus)
        require(
            response.status_code == expected,
            f"{'; then '.join(done)}; then GET /admin/members as Linus answered "
            f"{show(response)}, expected {expected}: the app decided with a list of librarians "
            "it had kept from before the change. Who may act is the caller's role as the "
            "database holds it now: check `member.role` of the member `current_member` loads "
            "for this request, never a set filled once.",
        )
