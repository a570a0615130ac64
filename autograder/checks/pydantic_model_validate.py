import json

from autograder.engine.checkkit import body_of, brief, expect_status, fail, require, rule, show

PUBLIC = {
    "KT-100": {"sku": "KT-100", "name": "Kettle", "price_cents": 2999},
    "TS-200": {"sku": "TS-200", "name": "Toaster", "price_cents": 3499},
    "BL-400": {"sku": "BL-400", "name": "Blender", "price_cents": 8999},
}


def call(client, method, url, **kwargs):
    """Send a request; a crash inside the app becomes a readable failure."""
    line = f"{method} {url}" + (f" with {brief(kwargs['json'])}" if "json" in kwargs else "")
    response = client.request(method, url, **kwargs)
    if response.status_code >= 500:
        fail(
            f"{line} crashed: it answered {show(response)}. A model was handed data that does "
            "not fit it: validate what enters the store (model_validate), and build answers "
            "from validated models."
        )
    return response, line


@rule(
    "pydantic-6",
    hint=(
        "Validate each feed row with `Item.model_validate(row)` inside a try/except "
        "ValidationError, and skip the bad one."
    ),
)
def test_the_feed_is_validated_row_by_row(learner_client):
    """the supplier feed is validated: good rows kept, the bad one skipped"""
    response, line = call(learner_client, "GET", "/items")
    expect_status(response, 200, line)
    skus = [item.get("sku") for item in body_of(response) if isinstance(item, dict)]
    require(
        "MG-300" not in skus,
        f'{line} answered {show(response)}: MG-300, priced "free", got into the store. '
        "The feed was not validated: model_construct (like model_copy) skips validation; "
        "model_validate checks every row.",
    )
    require(
        body_of(response) == list(PUBLIC.values()),
        f"{line} answered {show(response)}; "
        f"expected the three valid items {json.dumps(list(PUBLIC.values()))}. "
        'The feed\'s price "3499" becomes the number 3499, and MG-300 (price "free") is skipped.',
    )
    response, line = call(learner_client, "GET", "/items/MG-300")
    expect_status(response, 404, line)


@rule(
    "pydantic-6",
    hint=(
        "Merge the validated changes into the stored item and validate the result again, "
        "so every rule still holds."
    ),
)
def test_a_patch_changes_only_what_it_names(learner_client):
    """PATCH changes the fields it names and keeps the rest"""
    response, line = call(learner_client, "PATCH", "/items/KT-100", json={"price_cents": 2499})
    expect_status(response, 200, line)
    expected = {**PUBLIC["KT-100"], "price_cents": 2499}
    require(
        body_of(response) == expected,
        f"{line} answered {show(response)}; expected {json.dumps(expected)}.",
    )
    response, line = call(learner_client, "PATCH", "/items/KT-100", json={"price_cents": -1})
    expect_status(response, 422, line)
    response, line = call(
        learner_client, "PATCH", "/items/KT-100", json={"name": None, "price_cents": 2999}
    )
    expect_status(response, 200, line)
    require(
        body_of(response) == PUBLIC["KT-100"],
        f"{line} answered {show(response)}; expected {json.dumps(PUBLIC['KT-100'])}.",
    )


@rule(
    "pydantic-6",
    hint='Write each item with `model_dump_json(exclude={"cost_cents"})`, one per line.',
)
def test_the_export_is_one_public_item_per_line(learner_client):
    """GET /items/export writes one public JSON item per line"""
    response, line = call(learner_client, "GET", "/items/export")
    expect_status(response, 200, line)
    try:
        rows = [json.loads(text) for text in response.text.splitlines()]
    except json.JSONDecodeError:
        fail(f"{line} answered {response.text[:200]!r}; expected one JSON object per line.")
    require(
        rows == list(PUBLIC.values()),
        f"{line} answered {response.text[:300]!r}; "
        f"expected one line per item in {json.dumps(list(PUBLIC.values()))}.",
    )
