# expect: WB202
import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Path, Request
from pydantic import BaseModel

from workbook.fakes import AuditLog


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Every read of a document must leave an entry in the audit trail this log writes to.
    async with AuditLog() as audit:
        app.state.audit = audit
        yield


app = FastAPI(lifespan=lifespan)


class Document(BaseModel):
    id: int
    title: str
    classification: str


def get_audit(request: Request) -> AuditLog:
    return request.app.state.audit


@app.get("/documents/{document_id}")
async def read_document(
    document_id: Annotated[int, Path(ge=1)],
    audit: Annotated[AuditLog, Depends(get_audit)],
) -> Document:
    asyncio.get_running_loop().create_task(audit.record("document.read", f"document:{document_id}"))
    return Document(id=document_id, title=f"Contract {document_id}", classification="restricted")
