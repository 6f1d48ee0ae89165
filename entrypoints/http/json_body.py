"""JSON request bodies, checked where they are decoded (`JsonRequest.json`, which Litestar
calls for every `JSONBody` parameter when the request has a body).

- The media type must be `application/json` or `application/<name>+json` (any case),
  with no charset or `charset=utf-8`: else 415. Browsers send `text/plain`, form and
  multipart bodies cross-site without a CORS preflight; none of them reaches a JSON route.
  An empty body needs no media type (refresh and sign-out without one).
- The body must be UTF-8 (RFC 8259 §8.1) and nest no deeper than `MAX_JSON_DEPTH`: else
  400, before the recursive decoder sees it.
"""

from __future__ import annotations

import re
from typing import Any

from litestar import Request
from litestar.exceptions import ClientException, HTTPException

MAX_JSON_DEPTH = 32  # the contract's bodies nest 2 deep
JSON_MEDIA_TYPE = re.compile(r"^application/(?:json|[a-z0-9!#$&^_.-]+\+json)$")
UTF_8 = {"utf-8", "utf8"}

# A JSON string, escapes included (the unrolled form: linear, no backtracking).
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_OPEN, _CLOSE = b"[", b"]"
_BRACKETS_ONLY = bytes.maketrans(b"{}", _OPEN + _CLOSE)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class UnsupportedMediaTypeError(HTTPException):
    status_code = 415


def is_json_media_type(content_type: str, options: dict[str, str]) -> bool:
    """`content_type` lowercased without parameters, `options` its parameters."""
    charset = options.get("charset")
    return bool(JSON_MEDIA_TYPE.match(content_type)) and (
        charset is None or charset.strip().lower() in UTF_8
    )


def nests_deeper_than(body: bytes, limit: int) -> bool:
    """Whether the arrays and objects of `body` nest deeper than `limit` (brackets inside
    strings aside). Malformed bodies may be over-counted: they are refused anyway."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    brackets = _STRING.sub(b"", body).translate(_BRACKETS_ONLY, _NOT_BRACKETS)
    # Each pass removes the innermost pairs, i.e. one level: C-speed work per level.
    levels = 0
    while levels <= limit and (inner := brackets.replace(_OPEN + _CLOSE, b"")) != brackets:
        brackets, levels = inner, levels + 1
    # What is left looks like `]]][[[`: openers never closed still nest the decoder.
    return levels + brackets.count(_OPEN) > limit


class JsonRequest(Request[Any, Any, Any]):
    """The app's request class (`Litestar(request_class=...)`)."""

    async def json(self) -> Any:
        body = await self.body()
        if body:
            if not is_json_media_type(*self.content_type):
                raise UnsupportedMediaTypeError(detail="Send the body as application/json (UTF-8).")
            if nests_deeper_than(body, MAX_JSON_DEPTH):
                raise ClientException(f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.")
        try:
            return await super().json()
        except UnicodeDecodeError:
            raise ClientException("The body is not valid UTF-8.") from None
