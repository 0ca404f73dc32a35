"""The API takes JSON bodies only: records nest (an incident with its casualties), which
form and multipart bodies cannot carry, so the schema offers no other media type."""

import math
from typing import Any

from django.utils.translation import gettext as _
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import JSONParser as BaseJSONParser

from core.validation import SURROGATE, text_problem

# The deepest record is a casualty's identity inside an incident, a multipolygon's position
# five levels down: anything far deeper is not a record.
MAX_DEPTH = 32
NUL = "\x00"


def _number_message() -> str:
    return _("The number is too large to be read.")


def _place(errors: dict[str, Any], path: list[str], message: str) -> None:
    """Puts `message` at `path` in DRF's nested error shape: {"casualties": {"0": {"name": [...]}}}."""
    node = errors
    for step in path[:-1]:
        child = node.setdefault(step, {})
        # A key and one of its values both wrong: the nested problems tell more.
        if not isinstance(child, dict):
            child = node[step] = {}
        node = child
    leaf = node.setdefault(path[-1], [])
    if isinstance(leaf, list) and message not in leaf:
        leaf.append(message)


def check_parsed(data: Any) -> None:
    """Refuses bodies nested deeper than MAX_DEPTH (ParseError) and, by field path (ValidationError),
    any string holding NUL or an unpaired surrogate and any number too large for a float (1e400 reads
    as infinity): PostgreSQL refuses NUL in text, UTF-8 has no surrogates, no column holds infinity,
    and some lookups run on raw input (an `external_id`) before the serializer sees it."""
    errors: dict[str, Any] = {}
    # Iterative: the json module already recursed once, a second recursion must not be the limit.
    stack: list[tuple[Any, list[str], int]] = [(data, [], 1)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict | list) and depth > MAX_DEPTH:
            raise ParseError(_("JSON nested deeper than %(limit)s levels is refused.") % {"limit": MAX_DEPTH})
        if isinstance(value, dict):
            for key, item in value.items():
                # The key as the client wrote it in JSON, readable in the answer.
                name = SURROGATE.sub(lambda found: f"\\u{ord(found.group()):04x}", key.replace(NUL, "\\u0000"))
                if problem := text_problem(key):
                    _place(errors, [*path, name], problem)
                stack.append((item, [*path, name], depth + 1))
        elif isinstance(value, list):
            stack.extend((item, [*path, str(position)], depth + 1) for position, item in enumerate(value))
        elif isinstance(value, str) and (problem := text_problem(value)):
            _place(errors, path or ["non_field_errors"], problem)
        elif isinstance(value, float) and not math.isfinite(value):
            _place(errors, path or ["non_field_errors"], _number_message())
    if errors:
        raise ValidationError(errors)


class JSONParser(BaseJSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            # Deeper than Python's own recursion limit: json gives up before MAX_DEPTH could be checked.
            raise ParseError(_("JSON nested deeper than %(limit)s levels is refused.") % {"limit": MAX_DEPTH}) from None
        check_parsed(data)
        return data
