# attack: the answer shares a process with the checks
# tries: patch time.sleep and blockbuster away, so that the blocking call no longer shows
import time

import blockbuster.blockbuster
from fastapi import FastAPI
from pydantic import BaseModel

time.sleep = lambda seconds: None
blockbuster.blockbuster.BlockBuster.activate = lambda self: self

RENDER_DELAY = 0.01
app = FastAPI()


class Report(BaseModel):
    id: int
    title: str


@app.get("/reports/{report_id}")
async def read_report(report_id: int) -> Report:
    time.sleep(RENDER_DELAY)
    return Report(id=report_id, title=f"Report {report_id}")
