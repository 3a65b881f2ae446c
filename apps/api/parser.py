"""The API's one reader of request data: JSON bodies, query strings and form fields.

Every string the API is sent passes here before any schema or service sees it, so text that
cannot be stored (a NUL, an unpaired surrogate: `apps.text_input`) is refused at the edge
with a 422 naming the field, for every route and every field at once.
"""

import json

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from ninja.parser import Parser

from apps.text_input import poison_in, poison_message


class UnstorableTextError(ValueError):
    """A NUL or an unpaired surrogate in the request; `loc` says where (as ninja's errors)."""

    def __init__(self, source: str, where: str):
        self.loc = [source, *([where] if where else [])]
        super().__init__(poison_message(where or source))


class StorableTextParser(Parser):
    def parse_body(self, request: HttpRequest):
        data = json.loads(request.body)
        _refuse_unstorable(data, "body")
        return data

    def parse_querydict(self, data: MultiValueDict, list_fields: list[str], request: HttpRequest):
        if data is request.FILES:  # file names are checked by the upload service
            return super().parse_querydict(data, list_fields, request)
        parsed = super().parse_querydict(data, list_fields, request)
        _refuse_unstorable(parsed, "query" if data is request.GET else "form")
        return parsed


def _refuse_unstorable(data, source: str) -> None:
    where = poison_in(data)
    if where is not None:
        raise UnstorableTextError(source, where)
