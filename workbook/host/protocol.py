"""What the answer host and the checks agree on. Standard library only: both sides import it."""

from __future__ import annotations

# Answered by the host itself, in front of the learner's app: its latency is the event loop's.
PROBE_PATH = "/__workbook__/probe"
# The app's Swagger page, served by the host with a local copy of Swagger UI (FastAPI's /docs
# loads it from a CDN, which a machine without a network cannot reach).
DOCS_PATH = "/__workbook__/docs"
SWAGGER_ASSETS = "/__workbook__/swagger/"
# Which of several apps built by the answer's factory a request is for (1, 2, ...).
APP_CHOICE_HEADER = "x-workbook-app"
# Sent with every check request, so that the report can say which request raised what.
REQUEST_ID_HEADER = "x-workbook-request"
# An answer process finds a fake upstream service at the URL in WORKBOOK_UPSTREAM_<NAME>.
UPSTREAM_ENV_PREFIX = "WORKBOOK_UPSTREAM_"

REPORT_SCHEMA = 1
# Caps the host applies to what it writes; the checks enforce their own on what they read.
MAX_TEXT = 4000
MAX_TRACEBACK = 12000
MAX_OUTPUT = 16000


def upstream_env_name(service: str) -> str:
    return UPSTREAM_ENV_PREFIX + service.upper()
