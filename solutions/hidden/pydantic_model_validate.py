import ast

from hypothesis import given
from hypothesis import strategies as st

from autograder.checks.pydantic_model_validate import call
from autograder.engine.checkkit import ask_both, require, rule, same_answer
from autograder.engine.edges import expect_same_at_the_edges
from autograder.engine.fresh_start import expect_fresh_apps_agree
from autograder.engine.proptest import examples
from autograder.engine.source_rules import plain_spelling

skus = st.sampled_from(["KT-100", "TS-200", "MG-300", "BL-400", "XX-999"])
patches = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(st.none(), st.text(max_size=8), st.integers()),
        "price_cents": st.one_of(
            st.none(), st.integers(min_value=-10, max_value=10**6), st.text(max_size=4)
        ),
        "cost_cents": st.integers(min_value=0, max_value=10),
    },
)


@rule(
    "pydantic-6",
    hint="A patch sets the fields it names, ignores nulls, and must leave a valid item behind.",
)
@examples
@given(sku=skus, patch=patches)
def test_any_patch_gets_the_reference_answer(learner_client, reference_client, sku, patch):
    """any partial update gets the reference's answer, and the store stays in step"""
    mine, line = call(learner_client, "PATCH", f"/items/{sku}", json=patch)
    theirs, _ = call(reference_client, "PATCH", f"/items/{sku}", json=patch)
    same_answer(mine, theirs, line)
    mine, line = call(learner_client, "GET", "/items/export")
    theirs, _ = call(reference_client, "GET", "/items/export")
    same_answer(mine, theirs, f"{line} after that update")


PYDANTIC_1_METHODS = {"dict", "json", "parse_obj", "parse_raw", "copy", "construct", "from_orm"}
MODEL_KEYWORDS = {"exclude", "include", "exclude_none", "exclude_unset", "by_alias", "update"}


@rule("pydantic-6", hint="Pydantic 2 names them model_validate, model_dump and model_dump_json.")
def test_models_are_read_and_written_with_pydantic_2_methods(learner_source):
    """models are validated and dumped with model_validate and model_dump(_json)"""
    found = []
    # Read through aliases and `getattr(model, "parse_obj")` as if spelled plainly.
    for node in ast.walk(plain_spelling(ast.parse(learner_source))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        method = node.func.attr
        keywords = {keyword.arg for keyword in node.keywords}
        if method in {"parse_obj", "parse_raw", "from_orm", "construct"} or (
            method in PYDANTIC_1_METHODS and keywords & MODEL_KEYWORDS
        ):
            found.append(f"line {node.lineno}: `.{method}(...)` is a Pydantic 1 method.")
        elif method == "dict" and not node.args and not keywords:
            found.append(f"line {node.lineno}: `.dict()` is a Pydantic 1 method.")
    require(not found, "\n".join(found))


@rule("pydantic-6", hint="Prices may be 0 and never negative: keep the bound on the patch.")
def test_prices_at_the_bound_match_the_reference(
    learner_client, reference_client, reference_contract
):
    """a patch's price at its lower bound is accepted or refused as by the reference"""
    expect_same_at_the_edges(
        learner_client,
        reference_client,
        reference_contract,
        "PATCH",
        "/items/{sku}",
        path_params={"sku": "BL-400"},
        body={"price_cents": 100},
    )


@rule("pydantic-6", hint="An update is kept: what a patch changed reads back, listed and exported.")
def test_a_fresh_app_keeps_its_updates_like_the_reference(start_learner_app, start_reference_app):
    """on a freshly started app, patches read back, list and export as the reference's"""
    steps = [
        ("GET", "/items", {}),
        ("PATCH", "/items/KT-100", {"json": {"price_cents": 0}}),
        ("PATCH", "/items/TS-200", {"json": {"name": "Toaster II", "price_cents": None}}),
        ("GET", "/items/KT-100", {}),
        ("GET", "/items/TS-200", {}),
        ("GET", "/items", {}),
        ("GET", "/items/export", {}),
        ("GET", "/items/MG-300", {}),
    ]
    expect_fresh_apps_agree(start_learner_app, start_reference_app, steps)


@rule("pydantic-6", hint="The export is JSON Lines: say so in its media type.")
def test_the_export_says_what_it_is(learner_client, reference_client):
    """GET /items/export is sent with the reference's media type"""
    mine, theirs = ask_both(learner_client, reference_client, "GET", "/items/export")
    media = mine.headers.get("content-type", "").split(";")[0].strip()
    wanted = theirs.headers.get("content-type", "").split(";")[0].strip()
    require(
        media == wanted,
        f"GET /items/export was sent as {media or 'no media type'!r}; the reference sends "
        f"{wanted!r}, which tells a client each line is one JSON document.",
    )
