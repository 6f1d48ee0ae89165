"""Opaque cursors for keyset pagination over (timestamp, id)."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import datetime, timedelta

from domain.errors import FieldError, InvalidInputError

MAX_PAGE_SIZE = 100
MIN_YEAR, MAX_YEAR = 2000, 9000
# Unpadded base64url, as `encode_cursor` writes it (the decoder would skip other bytes).
CURSOR = re.compile(r"[A-Za-z0-9_-]{1,512}")


def encode_cursor(at: datetime, item_id: str) -> str:
    raw = f"{at.isoformat()}|{item_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    """The (timestamp ISO, id) of a cursor; 422 for anything that is not one of ours,
    spelled exactly as we write them (one cursor, one spelling)."""
    try:
        if not CURSOR.fullmatch(cursor):
            raise ValueError("not base64url")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        at, item_id = raw.split("|", 1)
        moment = datetime.fromisoformat(at)
        # Ours are UTC and recent; anything else (no zone, year 1 in +01:00, which the
        # store cannot even encode) is not a cursor we issued.
        if moment.utcoffset() != timedelta(0) or not MIN_YEAR <= moment.year <= MAX_YEAR:
            raise ValueError("not a cursor of ours")
        if encode_cursor(moment, item_id) != cursor:
            raise ValueError("not spelled as we write cursors")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInputError([FieldError("cursor", "The cursor is not valid.")]) from None
    return at, item_id


def check_limit(limit: int) -> None:
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidInputError([FieldError("limit", f"Use 1 to {MAX_PAGE_SIZE}.")])
