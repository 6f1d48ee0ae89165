"""Opaque cursors for keyset pagination over (timestamp, id)."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from domain.errors import FieldError, InvalidInputError

MAX_PAGE_SIZE = 100


def encode_cursor(at: datetime, item_id: str) -> str:
    raw = f"{at.isoformat()}|{item_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    """The (timestamp ISO, id) of a cursor; 422 for anything that is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, item_id = raw.split("|", 1)
        if datetime.fromisoformat(at).tzinfo is None:
            raise ValueError("a cursor's time is always zoned")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInputError([FieldError("cursor", "The cursor is not valid.")]) from None
    return at, item_id


def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInputError([FieldError("limit", f"Use 1 to {MAX_PAGE_SIZE}.")])
