"""Strong ETags derived from user id and version, and their `If-Match` parsing."""

from __future__ import annotations

import hashlib
import re

from domain.users import User

# As `etag_of` writes it: ASCII digits (isdigit() also takes superscripts, int() also
# fullwidth digits), no leading zero, few enough for 64 bits (int() refuses 5,000).
VERSION = re.compile(r"0|[1-9][0-9]{0,17}")


def _id_tag(user_id: str) -> str:
    return hashlib.blake2b(user_id.encode(), digest_size=8).hexdigest()


def etag_of(user: User) -> str:
    return f'"{user.version}-{_id_tag(user.id)}"'


def version_from_if_match(header: str, user_id: str) -> int | None:
    """The version named by an `If-Match` for this user, or None if no tag matches it.

    Weak tags never match (If-Match uses strong comparison, RFC 9110 §13.1.1), nor do
    versions spelled other than as we write them.
    """
    wanted = _id_tag(user_id)
    for raw in header.split(","):
        tag = raw.strip()
        if len(tag) < 2 or not (tag.startswith('"') and tag.endswith('"')):
            continue
        version, _, id_tag = tag[1:-1].partition("-")
        if id_tag == wanted and VERSION.fullmatch(version):
            return int(version)
    return None
