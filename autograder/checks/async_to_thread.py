import itertools
import re

from autograder.engine.checkkit import (
    UpstreamWitness,
    endpoint_in,
    expect_overlap,
    expect_status,
    reported_blocking,
    require,
    rule,
    show,
)

ENDPOINT = "geocode"
BURST = 10
_fresh = itertools.count(1)


def fresh_address():
    """An address no earlier request asked for, so no cache can answer it."""
    return f"{next(_fresh)} Check Street, Testville"


def explained(report) -> str:
    """Why a fix attempt still blocks, from where the answer's process saw the blocking call."""
    found = report.blocking_during("GET /geocode")
    detail = reported_blocking(report, "GET /geocode")
    if not found:
        return detail
    source = found[0].source_line
    helper = re.search(r"which `async def (\w+)`|in `async def (\w+)`", found[0].origin)
    helper_name = next((name for name in helper.groups() if name), "") if helper else ""
    if "to_thread(" in source or "run_in_executor(" in source:
        return detail + (
            "\nThe SDK ran before to_thread ever saw it: `geocoder.lookup(address)` is called on "
            "the spot, on the event loop, and only its result is handed over. Pass the function "
            "and its arguments separately: `asyncio.to_thread(geocoder.lookup, address)`."
        )
    if helper_name and helper_name != ENDPOINT:
        return detail + (
            f"\nWrapping the call in another async def (`{helper_name}`) changes nothing: "
            "a coroutine runs on the event loop too, so the SDK's blocking wait still stalls "
            "every request. Only a worker thread (asyncio.to_thread) takes it off the loop."
        )
    return detail + (
        "\nThe geocoder SDK blocks its thread for the whole lookup, and inside an async def "
        "that thread is the event loop's."
    )


@rule(
    "async-3",
    hint=(
        "Hand the SDK's call to a worker thread: `await "
        "asyncio.to_thread(geocoder.lookup, address)`."
    ),
)
def test_lookup_does_not_block(learner_client, learner_report, learner_services):
    """GET /geocode looks addresses up without blocking the event loop (timed from outside)"""
    address = fresh_address()
    response = learner_client.get("/geocode", params={"address": address})
    require(
        response.status_code == 200,
        f"GET /geocode?address={address} answered {show(response)}; expected status 200."
        + explained(learner_report),
    )
    latitude, longitude = learner_services.data.geo_point_of(address)  # this run's point
    expected = {"address": address, "latitude": latitude, "longitude": longitude}
    require(
        response.json() == expected,
        f"GET /geocode?address={address} answered {response.json()}; expected {expected}.",
    )
    addresses = [fresh_address() for _ in range(BURST)]
    expect_overlap(
        learner_client,
        [("GET", "/geocode", {"params": {"address": a}}) for a in addresses],
        "lookups of new addresses",
        fresh=lambda: ("GET", "/geocode", {"params": {"address": fresh_address()}}),
        upstream=UpstreamWitness("the geocoding vendor", learner_services.observed["geocoder"]),
        headline="GET /geocode blocked the event loop",
        why=explained(learner_report),
    )


@rule("async-3", hint="Keep the cache: look in it first, and store what the SDK returns.")
def test_repeated_address_comes_from_the_cache(learner_client, learner_services):
    """a second lookup of the same address is answered from the cache"""
    address = fresh_address()
    for attempt in ("", " (asked twice)"):
        response = learner_client.get("/geocode", params={"address": address})
        expect_status(response, 200, f"GET /geocode?address={address}{attempt}")
    lookups = learner_services.geocoder_lookups[address]
    require(
        lookups == 1,
        f"Asking for {address!r} twice made the geocoding vendor look it up {lookups} times "
        "(the vendor counted): the cache was skipped.",
    )


@rule("async-3", hint="The endpoint awaits the cache, so it must stay `async def`.")
def test_the_endpoint_stays_async(learner_source):
    """geocode stays an async def (it awaits the cache)"""
    endpoint = endpoint_in(learner_source, "GET", "/geocode")
    require(endpoint is not None, 'No `@app.get("/geocode")` endpoint is declared in the cell.')
    require(
        endpoint.is_async,
        f"`{endpoint.name}` became a plain def; it has to await the async cache, so keep "
        "it async and move only the blocking SDK call to a thread.",
    )
