from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from autograder.engine.checkkit import ask_both, body_of, brief, fail, rule, same_answer, show
from autograder.engine.fresh_start import expect_fresh_apps_agree
from autograder.engine.proptest import examples

room_types = st.one_of(
    st.sampled_from(["single", "double", "suite", "Single", "SUITE", " double", "penthouse", ""]),
    st.text(max_size=8),
)
dates = st.dates(min_value=date(2029, 12, 20), max_value=date(2030, 1, 10))
# The date rule may be reported at the model (['body']) or at either date field: all say the same.
DATE_RULE = {("body",), ("body", "start_date"), ("body", "end_date")}


def _locations(response):
    body = body_of(response)
    if not isinstance(body, dict) or not isinstance(body.get("detail"), list):
        return None
    found = {tuple(str(part) for part in error.get("loc", ())) for error in body["detail"]}
    return {"the dates" if loc in DATE_RULE else "/".join(loc) for loc in found}


@rule(
    "pydantic-5",
    hint="A booking needs a known room type and at least one night; everything else is a 422.",
)
@examples
@given(room_type=room_types, start=dates, end=dates)
def test_any_booking_gets_the_reference_verdict(
    learner_client, reference_client, room_type, start, end
):
    """any booking is accepted or rejected as the reference does"""
    payload = {"room_type": room_type, "start_date": start.isoformat(), "end_date": end.isoformat()}
    line = f"POST /bookings with {brief(payload)} ({(end - start).days} nights)"
    mine, theirs = ask_both(learner_client, reference_client, "POST", "/bookings", json=payload)
    _compare(mine, theirs, line)


def _same_rejection(mine, theirs):
    if mine == theirs:
        return True
    if not mine or not theirs:
        return False
    # A model validator only runs once every field is valid; a field validator on end_date runs
    # anyway. So when another field is also wrong, the date rule may or may not be reported.
    others_mine, others_theirs = mine - {"the dates"}, theirs - {"the dates"}
    return bool(others_mine) and others_mine == others_theirs


def _compare(mine, theirs, line):
    if mine.status_code != theirs.status_code:
        fail(f"{line}: your app answered {show(mine)}, the reference answered {show(theirs)}.")
    if mine.status_code == 422 and not _same_rejection(_locations(mine), _locations(theirs)):
        fail(
            f"{line}: your app rejected {sorted(_locations(mine) or [])}, "
            f"the reference rejected {sorted(_locations(theirs) or [])}."
        )
    if mine.status_code == 201:
        same_answer(mine, theirs, line, ignore_keys=("id",))


@rule("pydantic-5", hint="Missing or malformed fields are rejected by the model, field by field.")
@examples
@given(
    payload=st.fixed_dictionaries(
        {},
        optional={
            "room_type": st.one_of(room_types, st.integers(), st.none()),
            "start_date": st.one_of(
                st.text(max_size=12), st.just("2030-02-30"), st.integers(), st.none()
            ),
            "end_date": st.one_of(st.just("2030-03-01"), st.text(max_size=12), st.none()),
        },
    )
)
def test_malformed_bookings_are_rejected_like_the_reference(
    learner_client, reference_client, payload
):
    """malformed bookings are rejected as the reference rejects them"""
    line = f"POST /bookings with {brief(payload)}"
    mine, theirs = ask_both(learner_client, reference_client, "POST", "/bookings", json=payload)
    _compare(mine, theirs, line)


@rule("pydantic-5", hint="Each booking is kept and numbered: the second one made is booking 2.")
def test_a_fresh_app_answers_like_the_reference(start_learner_app, start_reference_app):
    """on a freshly started app, bookings are numbered and answered as by the reference"""
    booking = {"room_type": "double", "start_date": "2030-05-01", "end_date": "2030-05-04"}
    steps = [
        ("POST", "/bookings", {"json": booking}),
        ("POST", "/bookings", {"json": {**booking, "room_type": "suite"}}),
        ("POST", "/bookings", {"json": {**booking, "end_date": "2030-05-01"}}),
        ("POST", "/bookings", {"json": {**booking, "end_date": "2030-05-02"}}),
    ]
    expect_fresh_apps_agree(start_learner_app, start_reference_app, steps)
