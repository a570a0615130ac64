import asyncio

from fastapi import FastAPI
from pydantic import BaseModel

RENDER_DELAY = 0.03  # seconds the renderer needs before it accepts the next job

app = FastAPI()


class Report(BaseModel):
    id: int
    title: str


@app.get("/reports/{report_id}")
async def read_report(report_id: int) -> Report:
    await asyncio.sleep(RENDER_DELAY)  # yields: other requests run while this one waits
    return Report(id=report_id, title=f"Report {report_id}")
