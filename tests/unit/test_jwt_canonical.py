"""Access tokens are accepted only as issued (issue 13): pyjwt decodes base64url leniently,
so one `=` after the signature made a second token text that verified. Every segment
must be unpadded base64url with no other character and no set unused bits, with HS256
and EdDSA alike, and the cache of verified tokens never holds another spelling."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.security.jwt_tokens import JwtConfig, JwtTokenIssuer, is_canonical_jws
from domain.errors import AuthenticationError
from domain.users import Email, Role, User

pytestmark = pytest.mark.unit

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
NOW = datetime.now(UTC)
USER = User(
    id="user-1",
    email=Email("ann@example.com"),
    name="Ann",
    role=Role.USER,
    password_hash="x",
    created_at=NOW,
    updated_at=NOW,
)


def hs256() -> JwtTokenIssuer:
    return JwtTokenIssuer(JwtConfig(issuer="iss", audience="aud", secret="s" * 48))


def eddsa() -> JwtTokenIssuer:
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return JwtTokenIssuer(
        JwtConfig(
            issuer="iss",
            audience="aud",
            algorithm="EdDSA",
            signing_kid="k1",
            private_key_pem=private,
            public_keys_pem={"k1": public},
        )
    )


def in_segment(index: int, change: Callable[[str], str]) -> Callable[[str], str]:
    def spell(token: str) -> str:
        segments = token.split(".")
        segments[index] = change(segments[index])
        return ".".join(segments)

    return spell


def unused_bits_set(segment: str) -> str:
    """The same bytes with the last character's unused bits set (if it has any)."""
    unused = {2: 4, 3: 2}.get(len(segment) % 4, 0)  # bits beyond the last whole byte
    last = ALPHABET.index(segment[-1])
    return segment[:-1] + ALPHABET[last | ((1 << unused) - 1)] if unused else segment + "x"


SPELLINGS = {
    f"{name} in segment {index}": in_segment(index, change)
    for index in range(3)
    for name, change in {
        "one =": lambda s: s + "=",
        "two =": lambda s: s + "==",
        "padding to a quantum": lambda s: s + "=" * (-len(s) % 4 or 4),
        "a space": lambda s: s[:4] + " " + s[4:],
        "a newline": lambda s: s + "\n",
        "a tab": lambda s: "\t" + s,
        "a dot-less junk byte": lambda s: s[:4] + "!" + s[4:],
        "the standard alphabet": lambda s: s.replace("-", "+").replace("_", "/") + "+/",
        "non-ASCII": lambda s: s[:4] + "\u00e9" + s[4:],
        "a fullwidth letter": lambda s: s[:4] + "\uff21" + s[4:],
        "set unused bits": unused_bits_set,
    }.items()
}
SPELLINGS |= {
    "a fourth segment": lambda t: t + ".e30",
    "two segments": lambda t: t.rsplit(".", 1)[0],
    "a leading space": lambda t: " " + t,
    "a trailing NUL": lambda t: t + "\x00",
}


@pytest.mark.parametrize("issuer", [hs256, eddsa], ids=["HS256", "EdDSA"])
@pytest.mark.parametrize("spelling", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_a_token_spelled_otherwise_is_refused(
    issuer: Callable[[], JwtTokenIssuer], spelling: Callable[[str], str]
) -> None:
    tokens = issuer()
    token = tokens.issue(USER, NOW, "jti-1", "sid-1")
    spelled = spelling(token)
    assert spelled != token

    with pytest.raises(AuthenticationError):
        tokens.verify(spelled)
    # Refused also once the token itself is cached, and the cache is not poisoned.
    assert tokens.verify(token).user_id == USER.id
    with pytest.raises(AuthenticationError):
        tokens.verify(spelled)


def test_the_signature_segment_has_unused_bits_to_set() -> None:
    """HS256 and EdDSA signatures (32 and 64 bytes) end mid-quantum: the "set unused
    bits" spelling above really is the same bytes spelled otherwise."""
    for issuer in (hs256(), eddsa()):
        signature = issuer.issue(USER, NOW, "jti", "sid").rsplit(".", 1)[1]
        assert len(signature) % 4 in {2, 3}
        assert unused_bits_set(signature) != signature


@pytest.mark.parametrize(
    ("token", "canonical"),
    [
        ("eyJ9.e30.AA", True),
        ("AAAA.AAAA.AAAA", True),
        ("AA.AAA.AAAA", True),
        ("a.b.c", False),  # one character (4n + 1) is no encoding at all
        ("AB.AA.AA", False),  # unused bits set
        ("AA..AA", False),  # an empty segment
        ("", False),
    ],
)
def test_canonical_segments_are_recognized(token: str, canonical: bool) -> None:
    assert is_canonical_jws(token) is canonical
