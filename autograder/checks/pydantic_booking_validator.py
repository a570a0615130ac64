from autograder.engine.checkkit import body_of, brief, expect_status, require, rule, show

GOOD = {"room_type": "double", "start_date": "2030-05-01", "end_date": "2030-05-04"}


def _post(client, payload):
    return client.post("/bookings", json=payload), f"POST /bookings with {brief(payload)}"


def _expect_rejected(client, payload, what, why):
    response, line = _post(client, payload)
    require(
        response.status_code == 422 and isinstance(body_of(response).get("detail"), list),
        f"{line} ({what}) answered {show(response)}; expected a 422 validation error. {why}",
    )
    return response


@rule(
    "pydantic-5",
    hint="A valid booking still answers 201 with the number of nights, end minus start.",
)
def test_a_sensible_booking_is_accepted(learner_client):
    """a sensible booking is accepted with its number of nights"""
    response, line = _post(learner_client, GOOD)
    expect_status(response, 201, line)
    body = body_of(response)
    require(
        isinstance(body, dict) and body.get("nights") == 3 and body.get("room_type") == "double",
        f"{line} answered {show(response)}; expected 3 nights in a double room.",
    )


@rule(
    "pydantic-5",
    hint=(
        'Compare the two dates in a `@model_validator(mode="after")` and raise '
        "ValueError: FastAPI turns it into a 422."
    ),
)
def test_a_booking_that_ends_before_it_starts_is_rejected(learner_client):
    """a booking that ends before it starts is rejected with 422"""
    _expect_rejected(
        learner_client,
        {**GOOD, "start_date": "2030-05-04", "end_date": "2030-05-01"},
        "it ends three days before it starts",
        "The model must refuse it, so that the endpoint never computes a negative stay.",
    )


@rule(
    "pydantic-5",
    hint=(
        "A stay needs at least one night: "
        "reject end_date <= start_date, not only end_date < start_date."
    ),
)
def test_a_booking_that_ends_the_day_it_starts_is_rejected(learner_client):
    """a booking for zero nights is rejected with 422"""
    _expect_rejected(
        learner_client,
        {**GOOD, "end_date": GOOD["start_date"]},
        "it ends on the day it starts",
        "A stay of zero nights is not a booking.",
    )


@rule(
    "pydantic-5",
    hint=(
        'Annotate room_type as `Literal["single", "double", "suite"]`: pydantic rejects '
        "anything else, case included."
    ),
)
def test_an_unknown_room_type_is_rejected(learner_client):
    """an unknown room type is rejected, and the error names room_type"""
    for room_type in ("penthouse", "Suite", ""):
        response = _expect_rejected(
            learner_client,
            {**GOOD, "room_type": room_type},
            f"room type {room_type!r}",
            "Room types are exactly single, double and suite.",
        )
        locations = [error.get("loc") for error in body_of(response)["detail"]]
        require(
            ["body", "room_type"] in locations,
            f"POST /bookings with room type {room_type!r} was rejected at {locations}; "
            "the error should point at ['body', 'room_type'].",
        )
