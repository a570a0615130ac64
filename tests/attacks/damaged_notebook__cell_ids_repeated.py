# attack: damaged notebooks are not graded 0 with a reason
# tries: hand in the starter in a notebook damaged as its `# notebook:` line says, so that
# nbgrader's own steps trip over it and the submission goes ungraded (and the run exits 1)
# exercise: api-docs
# notebook: cell-ids-repeated
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Annotated

from fastapi import FastAPI, HTTPException, Path, Request, status
from pydantic import BaseModel, Field


class Line(BaseModel):
    item: Annotated[str, Field(min_length=1, max_length=80)]
    quantity: Annotated[int, Field(ge=1, le=1000)]
    unit_price: Annotated[Decimal, Field(ge=0, max_digits=10, decimal_places=2)]


class InvoiceIn(BaseModel):
    customer: Annotated[str, Field(min_length=1, max_length=80)]
    lines: Annotated[list[Line], Field(min_length=1, max_length=50)]


class Invoice(InvoiceIn):
    id: int
    total: Decimal


class ErrorMessage(BaseModel):
    detail: str


NO_SUCH_INVOICE = {404: {"model": ErrorMessage, "description": "There is no invoice with this id"}}


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.invoices = {}
    app.state.invoice_ids = itertools.count(1)
    yield


app = FastAPI(title="Invoices", lifespan=lifespan)


@app.get("/invoices")
async def list_invoices(request: Request) -> list[Invoice]:
    return list(request.app.state.invoices.values())


@app.get("/invoices/{invoice_id}", responses=NO_SUCH_INVOICE)
async def read_invoice(invoice_id: Annotated[int, Path(ge=1)], request: Request) -> Invoice:
    invoice = request.app.state.invoices.get(invoice_id)
    if invoice is None:
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail="Invoice not found")
    return invoice


@app.post("/invoices", status_code=status.HTTP_201_CREATED)
async def create_invoice(invoice: InvoiceIn, request: Request) -> Invoice:
    total = sum((line.quantity * line.unit_price for line in invoice.lines), Decimal(0))
    created = Invoice(id=next(request.app.state.invoice_ids), total=total, **invoice.model_dump())
    request.app.state.invoices[created.id] = created
    return created
