# expect: `time.sleep` called in `def wait_for_render_slot`
import time

from fastapi import FastAPI
from pydantic import BaseModel

RENDER_DELAY = 0.03  # seconds the renderer needs before it accepts the next job

app = FastAPI()


class Report(BaseModel):
    id: int
    title: str


def wait_for_render_slot() -> None:
    time.sleep(RENDER_DELAY)


@app.get("/reports/{report_id}")
async def read_report(report_id: int) -> Report:
    wait_for_render_slot()
    return Report(id=report_id, title=f"Report {report_id}")
