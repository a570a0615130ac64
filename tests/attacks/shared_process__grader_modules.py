# attack: the answer shares a process with the checks
# tries: find the grader's modules (sys.modules, os.sys, print.__self__, pkgutil) and make every result pass
import os
import pkgutil
import sys
import time

from fastapi import FastAPI
from pydantic import BaseModel

for name, module in list(sys.modules.items()) + list(os.sys.modules.items()):
    if name.startswith("autograder"):
        setattr(module, "passed", True)
for target in ("autograder.engine.results:ExerciseResult", "autograder.engine.runner:run_checks"):
    try:
        found = pkgutil.resolve_name(target)
        setattr(found, "passed", property(lambda self: True))
    except Exception:
        pass
builtins = print.__self__
getattr(builtins, "__import__")

RENDER_DELAY = 0.01
app = FastAPI()


class Report(BaseModel):
    id: int
    title: str


@app.get("/reports/{report_id}")
async def read_report(report_id: int) -> Report:
    time.sleep(RENDER_DELAY)
    return Report(id=report_id, title=f"Report {report_id}")
