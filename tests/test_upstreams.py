"""The fake services count what a client leaves open, as lesson 05's checks need."""

import time

import httpx

from workbook.upstreams import FakeServices


def wait_for(condition, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def test_a_pooled_connection_stays_open_until_the_client_is_closed():
    services = FakeServices().start()
    observed = services.observed["profile"]
    try:
        client = httpx.Client(base_url=services.url("profile"))
        assert client.get("/profiles/1").status_code == 200
        assert client.get("/profiles/2").status_code == 200
        assert observed.connections == 1  # one connection, kept and reused
        assert wait_for(lambda: observed.open_connections == 1)
        client.close()
        assert wait_for(lambda: observed.open_connections == 0)
        assert observed.closed == 1
    finally:
        services.close()
