"""Checks a layout and template before they may become active; every finding has a place.

Three layers, one module each, run in this order by `validate_source` (source.py):
- mjml.py: the MJML structure: known elements, attributes and nesting (MRML does not check it);
- template_language.py: each field as a Django template: allowed tags and filters only, no tag
  left open, and it parses (through the sandbox, which alone knows Django's template internals);
- variables.py: every variable used is declared (or the engine's) and has a value in the sample
  data.
The MJML compile itself comes last, in rendering.compile_version.
"""

from ..bounds import line_col
from ..sandbox import ALLOWED_FILTERS, ALLOWED_TAGS, make_engine
from .mjml import check_mjml
from .source import CONTENT_TAG, MAX_HTML_BYTES, validate_source
from .template_language import FORBIDDEN_TAGS, check_django
from .variables import SYSTEM_VARIABLES, check_declarations

__all__ = [
    "ALLOWED_FILTERS",
    "ALLOWED_TAGS",
    "CONTENT_TAG",
    "FORBIDDEN_TAGS",
    "MAX_HTML_BYTES",
    "SYSTEM_VARIABLES",
    "check_declarations",
    "check_django",
    "check_mjml",
    "line_col",
    "make_engine",
    "validate_source",
]
