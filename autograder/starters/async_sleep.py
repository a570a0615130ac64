import time

from fastapi import FastAPI
from pydantic import BaseModel

RENDER_DELAY = 0.03  # seconds the renderer needs before it accepts the next job

app = FastAPI()


class Report(BaseModel):
    id: int
    title: str


@app.get("/reports/{report_id}")
async def read_report(report_id: int) -> Report:
    time.sleep(RENDER_DELAY)  # wait for a free render slot
    return Report(id=report_id, title=f"Report {report_id}")
