import datetime as dt
from typing import Literal

from ninja import Field, Schema

Mode = Literal["brief", "detailed", "bullet_points", "executive"]
MAX_ID = 2**63 - 1


class ErrorOut(Schema):
    code: str
    message: str
    errors: list[dict] | None = None


class SummaryIn(Schema):
    mode: Mode
    text: str | None = Field(None, description="The text to summarize (or give document_id).")
    document_id: int | None = Field(None, ge=1, le=MAX_ID, description="An uploaded document.")


class SummaryOut(Schema):
    id: int
    status: Literal["pending", "running", "completed", "failed"]
    mode: Mode
    input_characters: int
    output_characters: int
    summary: str | None = Field(None, description="The text, when it is kept in the database.")
    summary_url: str | None = Field(None, description="A signed link to a long summary's text.")
    document_id: int | None = None
    error: str | None = None
    created_at: dt.datetime
    completed_at: dt.datetime | None = None


class DocumentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    created_at: dt.datetime
    download_url: str = Field(description="A signed link, valid for an hour.")


class UsageOut(Schema):
    month: dt.date
    plan: str
    characters_used: int
    characters_limit: int
    remaining: int
    percent_used: float
