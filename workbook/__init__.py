"""Support code the lessons' exercise cells import: fake upstream services, a legacy blocking
SDK, an audit sink, and the helpers behind the lessons' demonstrations.

Nothing here is what learners are asked to fix. It stands in for the outside world (a
profile service, an LLM provider, a vendor SDK) so that every lesson runs with no network
beyond loopback.
"""
