import inspect
import itertools
import re

from autograder.engine.checkkit import expect_status, fail, operation, require, rule
from autograder.engine.driver import BlockedEventLoop
from workbook.fakes import LegacyGeocoder

ENDPOINT = "geocode"
_fresh = itertools.count(1)


def fresh_address():
    """An address no earlier check asked for, so the cache cannot answer it."""
    return f"{next(_fresh)} Check Street, Testville"


def explained(error: BlockedEventLoop) -> str:
    """Say why the fix attempt still blocks, based on where the blocking call came from."""
    text = str(error)
    source = error.source_line
    helper = re.search(r"in `async def (\w+)`", error.origin)
    if "to_thread(" in source or "run_in_executor(" in source:
        return text + (
            "\nThe SDK ran before to_thread ever saw it: `geocoder.lookup(address)` is called on "
            "the spot, on the event loop, and only its result is handed over. Pass the function "
            "and its arguments separately: `asyncio.to_thread(geocoder.lookup, address)`."
        )
    if helper and helper.group(1) != ENDPOINT:
        return text + (
            f"\nWrapping the call in another async def (`{helper.group(1)}`) changes nothing: "
            "a coroutine runs on the event loop too, so the SDK's blocking wait still stalls "
            "every request. Only a worker thread (asyncio.to_thread) takes it off the loop."
        )
    return text + (
        "\nThe geocoder SDK blocks its thread for the whole lookup, and inside an async def "
        "that thread is the event loop's."
    )


def geocode(client, address, *, why=False):
    try:
        return client.get("/geocode", params={"address": address})
    except BlockedEventLoop as error:
        fail(explained(error) if why else f"{error} (the first check says why)")
        raise


@rule("async-3")
def test_lookup_does_not_block(learner_client):
    """GET /geocode looks an address up without blocking the event loop"""
    address = fresh_address()
    response = geocode(learner_client, address, why=True)
    expect_status(response, 200, f"GET /geocode?address={address}")
    point = LegacyGeocoder(latency=0).lookup(address)
    expected = {"address": address, "latitude": point.latitude, "longitude": point.longitude}
    require(
        response.json() == expected,
        f"GET /geocode?address={address} answered {response.json()}; expected {expected}.",
    )


@rule("async-3", hint="Keep the cache: look in it first, and store what the SDK returns.")
def test_repeated_address_comes_from_the_cache(learner_client, learner_app):
    """a second lookup of the same address is answered from the cache"""
    address = fresh_address()
    geocode(learner_client, address)
    geocoder = getattr(learner_app.state, "geocoder", None)
    require(
        isinstance(geocoder, LegacyGeocoder),
        "app.state.geocoder is gone: the lifespan must keep the SDK on app.state.",
    )
    before = geocoder.calls
    second = geocode(learner_client, address)
    expect_status(second, 200, f"GET /geocode?address={address} (asked twice)")
    require(
        geocoder.calls == before,
        f"Asking for {address!r} twice called the geocoder SDK again: the cache was skipped.",
    )


@rule("async-3", hint="The endpoint awaits the cache, so it must stay `async def`.")
def test_the_endpoint_stays_async(learner_app):
    """geocode stays an async def (it awaits the cache)"""
    endpoint = operation(learner_app, "GET", "/geocode").endpoint
    require(
        inspect.iscoroutinefunction(endpoint),
        f"`{endpoint.__name__}` became a plain def; it has to await the async cache, so keep "
        "it async and move only the blocking SDK call to a thread.",
    )
