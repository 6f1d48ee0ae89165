"""Hostile requests for one operation (test_hostile_input.py).

A request starts valid, from the example's `World` (a real token, id, ETag, challenge,
current code), so that it gets past the earlier checks; then one part of it (rarely
two) turns hostile: a body field (its value mutated: other digit scripts, control and
invisible characters, padding, size up to the body limit, wrong JSON types, nesting,
bytes that are not UTF-8, escaped lone surrogates, numbers past any limit), the whole
body, the media type, Content-Length, a path parameter, the path's spelling, the query,
Authorization, If-Match, the refresh cookie, the transport header, other headers the
app reads, or how the body is chunked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from hypothesis import strategies as st

from domain.users import User
from entrypoints.http.etags import etag_of
from tests.integration.hostile_world import CLIENT_IP_HEADER, Operation, World
from tests.integration.raw_asgi import RawRequest


class RawJson:
    """JSON text inserted as is: numbers and nestings no Python value can serialize,
    bytes that are not UTF-8."""

    def __init__(self, text: bytes) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"RawJson({self.text[:40]!r}{'...' if len(self.text) > 40 else ''})"


def encode(value: Any, ascii_only: bool) -> bytes:
    if isinstance(value, RawJson):
        return value.text
    if isinstance(value, dict):
        items = (
            encode(str(k), ascii_only) + b":" + encode(v, ascii_only) for k, v in value.items()
        )
        return b"{" + b",".join(items) + b"}"
    if isinstance(value, list):
        return b"[" + b",".join(encode(v, ascii_only) for v in value) + b"]"
    return json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass")


# --- mutations of a valid string value --------------------------------------------------

# Digits that str.isdigit(), int() or `\d` take for digits and an ASCII check does not:
# fullwidth, Arabic-Indic, Extended Arabic-Indic, Devanagari, mathematical bold.
DIGIT_ZEROS = [0xFF10, 0x0660, 0x06F0, 0x0966, 0x1D7CE]
SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹"  # isdigit(), but not int()


def other_digits(zero: int) -> Callable[[str], str]:
    return lambda value: "".join(
        chr(zero + int(c)) if c.isascii() and c.isdigit() else c for c in value
    )


def superscript(value: str) -> str:
    return "".join(SUPERSCRIPTS[int(c)] if c.isascii() and c.isdigit() else c for c in value)


DIGIT_MUTATIONS: list[Callable[[str], Any]] = [*map(other_digits, DIGIT_ZEROS), superscript]

# Invalid UTF-8: a stray byte, a truncated sequence, an encoded surrogate, an overlong
# form, a code point past U+10FFFF.
INVALID_UTF8 = [b"\xff", b"\xc3", b"\xc3\x28", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf4\x90\x80\x80"]
LONE_SURROGATES = [b"\\ud800", b"\\udfff", b"\\ud83d", b"\\ude00"]
NUMBERS = [b"1" * 5000, b"-" + b"9" * 400, b"1e999999", b"-0", b"1.5e-400", b"1E+2", b"0.1"]
ODD_STRINGS = [
    "",
    " ",
    "\x00",
    "\t\n\r\x0b\x0c",
    "\x1b[31m",
    "\u200b\u200d\ufeff",
    "\u202eevil",
    "e\u0301",
    "İ",
    "ﬀ",
    "\U0001f600",
    "\ufffd",
    "\uffff",
    "..",
    "%00",
    "%ff",
    "${jndi:ldap://x}",
    "' OR 1=1 --",
    '{"$gt": ""}',
    "<script>alert(1)</script>",
    "a@example.com\r\nBcc: x@example.com",
    "1" * 5000,
    "-1",
    "NaN",
    "eyJ.eyJ.sig",
]


def nested(depth: int, opener: bytes) -> RawJson:
    if opener == b"{":
        return RawJson(b'{"a":' * depth + b"1" + b"}" * depth)
    return RawJson(b"[" * depth + b"1" + b"]" * depth)


def with_bytes(value: str, inserted: bytes, at: int) -> RawJson:
    """`value` as a JSON string with `inserted` spliced in raw (escapes, bad UTF-8)."""
    text = json.dumps(value, ensure_ascii=False).encode()[1:-1]
    cut = at % (len(text) + 1)
    return RawJson(b'"' + text[:cut] + inserted + text[cut:] + b'"')


def mutated(value: str, limit: int) -> st.SearchStrategy[Any]:
    """A hostile variant of a valid value; if it has digits, mostly in other scripts."""
    at = st.integers(0, 64)
    generic = st.one_of(
        st.sampled_from(DIGIT_MUTATIONS).map(lambda mutate: mutate(value)),
        st.sampled_from([" ", "\t", "\u3000", "\x00", "\u200b", "\r\n"]).map(
            lambda pad: pad + value + pad
        ),
        st.builds(
            lambda c, i: value[:i] + c + value[i:],
            st.sampled_from("\x00\x07\x7f\u202e\ufeff\u0301"),
            at,
        ),
        st.sampled_from(
            [str.upper, str.lower, str.swapcase, lambda v: v + "=", lambda v: v + "=="]
        ).map(lambda mutate: mutate(value)),
        st.sampled_from([0, 1, -1]).map(lambda end: value[:end] if end else ""),
        st.sampled_from([1_000, limit // 3, limit - 64, limit, limit + 1]).map(
            lambda size: (value or "a") * (size // max(1, len(value)) + 1)
        ),
        st.sampled_from(ODD_STRINGS),
        st.text(max_size=24),
        st.sampled_from([[value], {"value": value}, None, True, 0, -1, 1.5, 2**64, [], {}]),
        st.sampled_from(NUMBERS).map(RawJson),
        st.builds(
            nested, st.sampled_from([2, 33, 1000, 5000, 20000]), st.sampled_from([b"[", b"{"])
        ),
        st.builds(with_bytes, st.just(value), st.sampled_from(INVALID_UTF8 + LONE_SURROGATES), at),
    )
    if any(c.isascii() and c.isdigit() for c in value):
        digits = st.sampled_from(DIGIT_MUTATIONS).map(lambda mutate: mutate(value))
        return st.one_of(digits, digits, generic)
    return generic


# --- the parts of a request --------------------------------------------------------------

RAW_BODIES = [
    b"null",
    b"[]",
    b'"text"',
    b"1",
    b"{",
    b'{"a":1',
    b"{} {}",
    b"\xef\xbb\xbf{}",
    b"\x00",
    b"\xff\xfe{\x00}\x00",
    b'{"a":1}\x00',
    b"email=a%40b.c&password=x",
    b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--',
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 5000 + b"1" + b"}" * 5000,
    b"[" * 70_000,
    b"1" * 5000,
    b"\xff" * 100,
]
CONTENT_TYPES = [
    None,
    b"application/json; charset=utf-8",
    b"Application/JSON",
    b"application/problem+json",
    b"application/merge-patch+json",
    b"application/json; charset=latin-1",
    b"application/jsonp",
    b"text/json",
    b"text/plain",
    b"text/plain;charset=UTF-8",
    b"application/x-www-form-urlencoded",
    b"multipart/form-data; boundary=x",
    b"application/octet-stream",
    b"*/*",
    b"",
    b"application/json\x00",
    b"application/\xffjson",
    b"application/json; charset=\xff",
    b"application/json; boundary=" + b"x" * 5000,
]
ODD_HEADER_VALUES = [
    b"",
    b" ",
    b"\xff",
    b"\xe9t\xe9",
    b"\xb9\xb2\xb3",  # latin-1 superscripts: isdigit() is true for them
    b"\x00",
    b"a\x00b",
    b"\x7f",
    "\uff11\uff12\uff13".encode(),  # fullwidth 123
    b"1" * 5000,
    b"x" * 10_000,
    b"-1",
    b'"',
    b";;;=;",
]


def header_bytes(valid: bytes) -> st.SearchStrategy[bytes]:
    """A hostile header value, often a mutation of a valid one."""
    at = st.integers(0, 64)
    return st.one_of(
        st.sampled_from(ODD_HEADER_VALUES),
        st.binary(max_size=30),
        st.builds(
            lambda b, i: valid[:i] + b + valid[i:],
            st.sampled_from([b"\xff", b"\x00", b" ", b"\xb9", b"\t"]),
            at,
        ),
        st.sampled_from([valid + b"=", valid * 300, valid[:-1], b" " + valid + b" "]),
    )


def authorization(world: World) -> st.SearchStrategy[bytes | None]:
    tokens = st.sampled_from([world.user_tokens.access_token, world.admin_tokens.access_token])
    tampered = st.builds(
        lambda token, change: b"Bearer " + change(token.encode()),
        tokens,
        st.sampled_from(
            [
                lambda t: t + b"=",
                lambda t: t.replace(b".", b"=.", 1),
                lambda t: t[:-1] + (b"B" if t[-1:] != b"B" else b"C"),
                lambda t: t.replace(b".", b". ", 1),
                lambda t: t.replace(b"-", b"+").replace(b"_", b"/"),
                lambda t: t + b"." + t,
                lambda t: t.upper(),
            ]
        ),
    )
    return st.one_of(
        tampered,
        st.none(),
        st.sampled_from([b"Bearer", b"Bearer ", b"bearer  x", b"Basic YTpi", b"Bearer \xff\xfe"]),
        tokens.flatmap(lambda t: header_bytes(b"Bearer " + t.encode())),
    )


def if_match(user: User) -> st.SearchStrategy[bytes]:
    """An ETag of `user` whose version is not a plain number, and other odd tags."""
    version, tag = etag_of(user)[1:-1].split("-", 1)

    def etag(spelled: bytes) -> bytes:
        return b'"' + spelled + b"-" + tag.encode() + b'"'

    versions = [
        b"1" * 5000,
        b"9" * 30,
        b"\xb9",  # latin-1 superscript one
        b"\xb2\xb3",
        superscript(version).encode(),
        other_digits(0xFF10)(version).encode(),
        b"-1",
        b"+1",
        b" 1",
        b"1_0",
        version.encode() + b"\xe9",
    ]
    return st.one_of(
        st.sampled_from(versions).map(etag),
        st.sampled_from([b"*", b"W/" + etag(version.encode()), b'""', b'"', b'"a", "b", 1']),
        header_bytes(etag(version.encode())),
    )


def cookie(world: World) -> st.SearchStrategy[bytes]:
    token = world.user_tokens.refresh_token.encode()
    return st.one_of(
        header_bytes(token).map(lambda v: b"refresh_token=" + v),
        st.sampled_from(
            [
                b"refresh_token",
                b'refresh_token="' + token + b'"',
                b"refresh_token=" + token + b"; refresh_token=other",
                b"=; =; ;;",
                b"a=b; " * 200,
                b"refresh_token=%ff%00",
            ]
        ),
        st.binary(max_size=30),
    )


def segment(value: str) -> st.SearchStrategy[bytes]:
    """A hostile path parameter, as sent on the request line (percent-encoded)."""
    return st.one_of(
        st.sampled_from(
            [b"%ff", b"%00", b"%2e%2e", b"%2E", b"..", b".", b"%2F", b"a%2Fb", b"%5C", b"%", b"%zz"]
        ),
        mutated(value, 10_000)
        .filter(lambda v: isinstance(v, str))
        .map(lambda v: quote(v, safe="", errors="surrogatepass").encode()),
        st.just(value.encode() + b"%2Fsessions"),
    )


def non_canonical(path: bytes) -> st.SearchStrategy[bytes]:
    segments = path.split(b"/")

    def at(index: int, insert: bytes) -> bytes:
        cut = 1 + index % max(1, len(segments) - 1)
        return b"/".join([*segments[:cut], insert, *segments[cut:]])

    return st.one_of(
        st.builds(
            at, st.integers(0, 10), st.sampled_from([b"", b".", b"%2e", b"%2E", b"..", b"%2e%2e"])
        ),
        st.sampled_from(
            [
                path + b"//",
                path + b"/.",
                path + b"/x/..",
                b"/" + path,
                path.replace(b"/", b"%2F"),
                path.replace(b"/", b"%2f", 2).replace(b"%2f", b"/", 1),
                path.replace(b"/", b"\\"),
            ]
        ),
    )


QUERY_VALUES = [
    b"1" * 5000,
    b"9" * 20,
    b"-1",
    b"0",
    b"101",
    b"1.5",
    b"1e1",
    b"0x10",
    b"1_0",
    b"%20%2010",
    b"%ff",
    b"%00",
    b"%",
    b"",
    b"\xff",
    b"a" * 600,
    b"MjAyNi0wMS0wMVQwMDowMDowMCswMDowMHw",
    b"MDAwMS0wMS0wMVQwMDowMDowMCswMTowMHx4",
    b"OTk5OS0xMi0zMVQyMzo1OTo1OSswMDowMHx4",
    b"\xe2\x80\x8b",
]


def query_value(value: str) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.sampled_from(QUERY_VALUES),
        mutated(value, 2_000)
        .filter(lambda v: isinstance(v, str))
        .map(lambda v: quote(v, safe="", errors="surrogatepass").encode()),
        st.just(quote(value).encode() + b"="),
    )


def parts_of(operation: Operation) -> list[str]:
    """The parts of a request of `operation` that can turn hostile."""
    parts = ["path", "authorization", "headers"]
    if operation.body_fields is not None:
        parts += [f"field:{name}" for name in operation.body_fields]
        parts += ["body", "content-type", "content-length", "chunks"]
    if operation.path_params:
        parts += ["segment"]
    if operation.query_params:
        parts += ["query"]
    if "If-Match" in operation.header_params:
        parts += ["if-match"]
    if "X-Refresh-Token-Transport" in operation.header_params:
        parts += ["transport"]
    if operation.cookie_params:
        parts += ["cookie"]
    return parts


@st.composite
def hostile_requests(
    draw: st.DrawFn, operation: Operation, world: World, limit: int, part: str
) -> RawRequest:
    """A valid request of `operation` but for `part` (and, one time in five, another)."""
    hostile = {part}
    # Hypothesis starts from the simplest choices (zeros, first elements): those are the
    # single hostile part, and the likeliest breakage first in every list.
    if draw(st.integers(0, 4)) == 4:
        hostile.add(draw(st.sampled_from(parts_of(operation)), label="second hostile part"))

    def valid(name: str) -> str:
        return draw(st.sampled_from(world.pool(name)))

    raw_path = operation.path.encode()
    target = world.user  # the user the path names, if it names one
    for name in operation.path_params:
        chosen = valid(name)
        target = next((u for u in (world.user, world.admin, world.other) if u.id == chosen), target)
        value = draw(segment(chosen)) if "segment" in hostile else quote(chosen).encode()
        raw_path = raw_path.replace(b"{" + name.encode() + b"}", value)
    if "path" in hostile:
        raw_path = draw(non_canonical(raw_path))

    query = []
    for name in operation.query_params:
        if draw(st.booleans()):
            value = draw(query_value(valid(name))) if "query" in hostile else valid(name).encode()
            query.append(name.encode() + b"=" + value)
    if "query" in hostile and draw(st.booleans()):
        query.append(
            draw(
                st.sampled_from([b"%ff=%ff", b"=", b"&&", b"a" * 3000 + b"=1", b"limit=1&limit=2"])
            )
        )

    headers: list[tuple[bytes, bytes]] = []
    body = None
    if operation.body_fields is not None:
        document: dict[str, Any] = {name: valid(name) for name in operation.body_fields}
        for name in operation.body_fields:
            if f"field:{name}" in hostile:
                document[name] = draw(mutated(document[name], limit), label=name)
        # Now and then a field that does not exist, too.
        if any(p.startswith("field:") for p in hostile) and draw(st.integers(0, 5)) == 5:
            document[draw(st.sampled_from(["role", "id", "__proto__", "é"]))] = "admin"
        body = encode(document, ascii_only=draw(st.booleans()))
        if "body" in hostile:
            body = draw(st.sampled_from([*RAW_BODIES, b"", b" " * (limit + 1)]))
        if "content-type" in hostile:
            content_type = draw(st.sampled_from(CONTENT_TYPES))
        else:
            content_type = draw(
                st.sampled_from([b"application/json", b"application/json; charset=utf-8"])
            )
        if content_type is not None:
            headers.append((b"content-type", content_type))
        length = str(len(body)).encode()
        if "content-length" in hostile:
            headers += [(b"content-length", v) for v in [draw(header_bytes(length))] if v]
        else:
            headers.append((b"content-length", length))

    token = (
        world.user_tokens.access_token if draw(st.booleans()) else world.admin_tokens.access_token
    )
    bearer = (
        draw(authorization(world)) if "authorization" in hostile else b"Bearer " + token.encode()
    )
    if bearer is not None:
        headers.append((b"authorization", bearer))
    if "If-Match" in operation.header_params:
        tag = draw(if_match(target)) if "if-match" in hostile else etag_of(target).encode()
        headers.append((b"if-match", tag))
    if "X-Refresh-Token-Transport" in operation.header_params:
        transport = valid("X-Refresh-Token-Transport").encode()
        headers.append(
            (
                b"x-refresh-token-transport",
                draw(header_bytes(transport)) if "transport" in hostile else transport,
            )
        )
    if operation.cookie_params:
        valid_cookie = b"refresh_token=" + world.user_tokens.refresh_token.encode()
        headers.append((b"cookie", draw(cookie(world)) if "cookie" in hostile else valid_cookie))
    if "headers" in hostile:
        for name in draw(
            st.lists(
                st.sampled_from(
                    [
                        b"x-request-id",
                        b"user-agent",
                        b"accept",
                        CLIENT_IP_HEADER.encode(),
                        b"x-amzn-trace-id",
                        b"host",
                        b"\xff",
                        b"x y",
                    ]
                ),
                min_size=1,
                max_size=3,
                unique=True,
            )
        ):
            headers.append((name, draw(header_bytes(b"Root=1-65f2a7c4-0a1b2c3d4e5f60718293a4b5"))))

    chunks = [body] if body else []
    if body and "chunks" in hostile:
        size = draw(st.sampled_from([1, 7, 1024]))
        chunks = [body[i : i + size] for i in range(0, len(body), size)][:2000] or [body]
        chunks[-1] += body[sum(map(len, chunks)) :]
    return RawRequest(
        method=operation.method,
        raw_path=raw_path,
        query_string=b"&".join(query),
        headers=headers,
        body_chunks=chunks,
        client=(world.client_ip, 40000),
    )
