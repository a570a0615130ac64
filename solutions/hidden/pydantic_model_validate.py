import warnings

from hypothesis import given
from hypothesis import strategies as st

from autograder.checks.pydantic_model_validate import call
from autograder.engine.checkkit import require, rule, same_answer
from autograder.engine.driver import AppClient
from autograder.engine.proptest import examples

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


@rule("pydantic-6")
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


def _deprecations(caught, filename):
    found = {}
    for warning in caught:
        if issubclass(warning.category, DeprecationWarning):
            text = str(warning.message).split(" Deprecated in")[0]
            where = f"line {warning.lineno}: " if warning.filename == filename else ""
            found.setdefault(text, where + text)
    return sorted(found.values())


# Keep this check last: its fresh start-up reloads the learner's store from the feed.
@rule("pydantic-6")
def test_serving_raises_no_deprecation_warning(learner, learner_app):
    """start-up and every operation run without a Pydantic deprecation warning"""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = AppClient(learner_app, scanned=learner)  # a fresh start-up
        try:
            call(client, "GET", "/items")
            call(client, "GET", "/items/export")
            call(client, "PATCH", "/items/BL-400", json={"name": "Blender Pro"})
        finally:
            client.close()
    found = _deprecations(caught, learner.__file__)
    require(not found, "Starting the app and serving three requests raised:\n" + "\n".join(found))
