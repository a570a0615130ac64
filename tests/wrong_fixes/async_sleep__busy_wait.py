# expect: GET /reports/{id} blocked the event loop
import time

from fastapi import FastAPI
from pydantic import BaseModel

RENDER_DELAY = 0.03  # seconds the renderer needs before it accepts the next job

app = FastAPI()


class Report(BaseModel):
    id: int
    title: str


def wait_for_render_slot() -> None:
    # No sleep to flag, no library call to catch: the loop is held by this very loop.
    ready_at = time.monotonic() + RENDER_DELAY
    while time.monotonic() < ready_at:
        pass


@app.get("/reports/{report_id}")
async def read_report(report_id: int) -> Report:
    wait_for_render_slot()
    return Report(id=report_id, title=f"Report {report_id}")
