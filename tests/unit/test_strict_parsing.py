"""Client input parsed strictly: one spelling per value, ASCII digits only, bounded sizes
(issue 13). Cursors, If-Match versions, authenticator codes, JSON media types and
nesting depth."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pyotp
import pytest

from adapters.security.totp import PyOtpOneTimePasswords
from application.pagination import decode_cursor, encode_cursor
from application.two_factor.codes import accept_code
from domain.errors import InvalidCodeError, InvalidInputError
from domain.two_factor import TotpFactor
from domain.users import Email, Role, User
from entrypoints.http.etags import etag_of, version_from_if_match
from entrypoints.http.json_body import is_json_media_type, nests_deeper_than

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 24, 19, 33, 45, 123456, tzinfo=UTC)
FULLWIDTH = str.maketrans(
    "0123456789", "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17\uff18\uff19"
)
ARABIC_INDIC = str.maketrans(
    "0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669"
)
SUPERSCRIPT = str.maketrans(
    "0123456789", "\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079"
)


# --- cursors ---------------------------------------------------------------------------------


def test_a_cursor_as_issued_decodes() -> None:
    assert decode_cursor(encode_cursor(NOW, "id-7")) == (NOW.isoformat(), "id-7")


def _with_unused_bits(cursor: str) -> str:
    """The same bytes, spelled with non-zero unused bits in the last character."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(cursor[-1])
    return cursor[:-1] + alphabet[last + 1]


@pytest.mark.parametrize(
    "spelling",
    [
        lambda c: c + "=" * (-len(c) % 4 or 4),  # padded
        lambda c: c[:5] + "!" + c[5:],  # a character the decoder would skip
        lambda c: c[:5] + " " + c[5:],
        lambda c: c + "\n",
        lambda c: c.replace("-", "+").replace("_", "/") + "+/",  # the standard alphabet
        lambda c: c.translate(FULLWIDTH),
        _with_unused_bits,
    ],
)
def test_a_cursor_spelled_otherwise_is_invalid(spelling: object) -> None:
    # An id whose cursor ends mid-quantum, so that its last character has unused bits.
    cursor = next(c for i in range(9) if len(c := encode_cursor(NOW, "x" * i)) % 4 == 2)
    spelled = spelling(cursor)  # type: ignore[operator]
    assert spelled != cursor

    with pytest.raises(InvalidInputError):
        decode_cursor(spelled)


@pytest.mark.parametrize(
    "moment", ["2026-11-24T19:33:45Z", "2026-11-24 19:33:45+00:00", "2026-11-24T19:33:45.000+00:00"]
)
def test_a_cursor_with_a_time_we_never_write_is_invalid(moment: str) -> None:
    cursor = base64.urlsafe_b64encode(f"{moment}|x".encode()).decode().rstrip("=")

    with pytest.raises(InvalidInputError):
        decode_cursor(cursor)


# --- If-Match versions -----------------------------------------------------------------------


USER = User(
    id="u1",
    email=Email("ann@example.com"),
    name="Ann",
    role=Role.USER,
    password_hash="x",
    created_at=NOW,
    updated_at=NOW,
    version=12,
)
TAG = etag_of(USER)[1:-1].split("-", 1)[1]


@pytest.mark.parametrize(
    "version",
    [
        "\u00b9",
        "\u00b2\u00b3",
        "\uff11\uff12",
        "\u0661\u0662",
        "1" * 5000,
        "9" * 19,
        "012",
        "+12",
        " 12",
        "1_2",
        "",
    ],
)
def test_an_if_match_version_not_as_written_matches_nothing(version: str) -> None:
    assert version_from_if_match(f'"{version}-{TAG}"', USER.id) is None


def test_an_if_match_version_as_written_matches() -> None:
    assert version_from_if_match(etag_of(USER), USER.id) == 12
    assert version_from_if_match(f'W/"1-{TAG}", "0-{TAG}"', USER.id) == 0
    assert version_from_if_match(f'"{"9" * 18}-{TAG}"', USER.id) == int("9" * 18)


# --- authenticator codes -----------------------------------------------------------------------


@pytest.mark.parametrize("script", [FULLWIDTH, ARABIC_INDIC, SUPERSCRIPT])
def test_a_totp_code_in_other_digits_matches_no_step(script: dict[int, str]) -> None:
    otp = PyOtpOneTimePasswords()
    secret = otp.new_secret()
    code = pyotp.TOTP(secret).at(NOW)

    assert otp.matching_step(secret, code, NOW) is not None
    assert otp.matching_step(secret, code.translate(script), NOW) is None


@pytest.mark.parametrize("script", [FULLWIDTH, ARABIC_INDIC, SUPERSCRIPT])
def test_a_code_in_other_digits_is_a_wrong_code(script: dict[int, str]) -> None:
    otp = PyOtpOneTimePasswords()
    secret = otp.new_secret()
    factor = TotpFactor(secret, confirmed=True)
    code = pyotp.TOTP(secret).at(NOW)

    with pytest.raises(InvalidCodeError):
        accept_code(otp, factor, code.translate(script), NOW)
    assert accept_code(otp, factor, code, NOW).backup_code is False


# --- JSON bodies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("media_type", "options"),
    [
        ("application/json", {}),
        ("application/json", {"charset": "utf-8"}),
        ("application/json", {"charset": "UTF-8"}),
        ("application/json", {"charset": " utf8 "}),
        ("application/problem+json", {}),
        ("application/merge-patch+json", {}),
        ("application/vnd.example.v1+json", {}),
    ],
)
def test_json_media_types_are_accepted(media_type: str, options: dict[str, str]) -> None:
    assert is_json_media_type(media_type, options)


@pytest.mark.parametrize(
    ("media_type", "options"),
    [
        ("text/plain", {}),
        ("application/x-www-form-urlencoded", {}),
        ("multipart/form-data", {"boundary": "x"}),
        ("", {}),
        ("text/json", {}),
        ("application/jsonp", {}),
        ("application/json-seq", {}),
        ("application/+json", {}),
        ("application/json\x00", {}),
        ("application/\xffjson", {}),
        ("application/json", {"charset": "latin-1"}),
        ("application/json", {"charset": "utf-16"}),
        ("*/*", {}),
    ],
)
def test_other_media_types_are_refused(media_type: str, options: dict[str, str]) -> None:
    assert not is_json_media_type(media_type, options)


@pytest.mark.parametrize(
    ("body", "deeper"),
    [
        (b'{"a":1}', False),
        (b"[" * 32 + b"]" * 32, False),
        (b"[" * 33 + b"]" * 33, True),
        (b'{"a":' * 32 + b"1" + b"}" * 32, False),
        (b'{"a":' * 33 + b"1" + b"}" * 33, True),
        (b"[]" * 30_000, False),
        (b"[" * 33, True),  # never closed: a decoder still nests before it fails
        (b'["' + b"[" * 5000 + b'"]', False),  # brackets inside a string
        (b'["\\"' + b"[" * 5000 + b'"]', False),  # after an escaped quote, still a string
        (b'{"a":"\\\\","b":' + b'{"b":' * 40 + b"1" + b"}" * 41, True),  # an escaped backslash
    ],
)
def test_nesting_is_measured_outside_strings(body: bytes, deeper: bool) -> None:
    assert nests_deeper_than(body, 32) is deeper
