# attack: leaks
# tries: read the reference and the hidden checks (linecache, the solutions folder) and send
# them back in an uncapped exception message
import glob
import linecache
import time

from fastapi import FastAPI
from pydantic import BaseModel

found = [text for name, (_, _, lines, _) in linecache.cache.items() for text in lines]
for path in glob.glob("__PROJECT__/solutions/**/*.py", recursive=True):
    try:
        with open(path) as secret:
            found.append(secret.read())
    except OSError:
        pass
LEAK = "\n".join(found) + "x" * 1_000_000

RENDER_DELAY = 0.01
app = FastAPI()


class Report(BaseModel):
    id: int
    title: str


@app.get("/reports/{report_id}")
async def read_report(report_id: int) -> Report:
    time.sleep(RENDER_DELAY)
    raise ValueError(LEAK)
