"""The API's JSON parser: DRF's, behind a size and a nesting limit.

``json.loads`` recurses once per level of nesting, so a body of 100,000 ``[`` ends in a
``RecursionError`` (a 500). The raw bytes are read up to ``JSON_MAX_BYTES`` and their
nesting counted without recursion before anything is decoded; a body over either limit is
refused with a stable code (``body_too_large`` 413, ``body_too_deep`` 400).
"""

import io
import re
from itertools import accumulate

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, parsers, status

# The deepest request of the API nests three levels (fee lines); 32 leaves room to grow.
JSON_MAX_DEPTH = 32
# Uploads are multipart and have their own limit (WATERDESK_ATTACHMENT_MAX_BYTES).
JSON_MAX_BYTES = 1024 * 1024

# A JSON string (brackets inside it do not nest), written so that the match never
# backtracks: runs of plain characters, each escape one backslash and one character.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")
_OPENING = frozenset(b"[{")


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"
    default_detail = _("请求内容过大。")


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in ``raw``, counted without recursion
    (brackets inside strings do not count)."""
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", raw))
    steps = (1 if byte in _OPENING else -1 for byte in brackets)
    return max(accumulate(steps), default=0)


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser (strict: no ``NaN``/``Infinity``) with the limits above."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(JSON_MAX_BYTES + 1)
        if len(raw) > JSON_MAX_BYTES:
            raise BodyTooLarge(_("请求内容不能超过 %(limit)s 字节。") % {"limit": JSON_MAX_BYTES})
        if json_depth(raw) > JSON_MAX_DEPTH:
            raise exceptions.ParseError(
                _("请求内容嵌套超过 %(limit)s 层。") % {"limit": JSON_MAX_DEPTH},
                code="body_too_deep",
            )
        return super().parse(io.BytesIO(raw), media_type, parser_context)
