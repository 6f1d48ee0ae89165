"""Access tokens as JWTs (RFC 9068 `at+jwt`), following RFC 8725.

HS256 with one secret by default; EdDSA (Ed25519) optionally, with keys named by `kid`
so keys can rotate: tokens are signed with the active key and verified with any key
still listed, and the public keys are published as a JWKS.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from jwt.algorithms import OKPAlgorithm

from application.ports.token_issuer import AccessClaims
from domain.errors import AuthenticationError
from domain.users import User

TOKEN_TYPE = "at+jwt"
REQUIRED_CLAIMS = ["exp", "iat", "nbf", "iss", "aud", "sub", "jti", "sid"]
MIN_HS256_SECRET_BYTES = 32
SUPPORTED_ALGORITHMS = ("HS256", "EdDSA")
VERIFIED_CACHE_SIZE = 4096
# A JWS compact segment as RFC 7515 §2 writes it: base64url without padding.
SEGMENT = re.compile(r"[A-Za-z0-9_-]+")


def is_canonical_jws(token: str) -> bool:
    """Three segments, each exactly as base64url encodes its bytes: no padding, no
    character outside the alphabet (whitespace, `+`, `/`), no set unused trailing bits.
    pyjwt's decoder ignores all of these, so `token + "="` would verify as a second,
    distinct token text."""
    segments = token.split(".")
    if len(segments) != 3:
        return False
    for segment in segments:
        if not SEGMENT.fullmatch(segment):
            return False
        try:
            decoded = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        except (binascii.Error, ValueError):
            return False  # a length no encoding has (4n + 1)
        if base64.urlsafe_b64encode(decoded).rstrip(b"=") != segment.encode():
            return False
    return True


@dataclass(frozen=True, slots=True)
class JwtConfig:
    issuer: str
    audience: str
    access_ttl: timedelta = timedelta(minutes=15)
    algorithm: str = "HS256"
    secret: str = ""
    # EdDSA: PEM private key of the active `kid`, and PEM public keys by kid (incl. the active one).
    signing_kid: str = ""
    private_key_pem: str = ""
    public_keys_pem: dict[str, str] = field(default_factory=dict)
    leeway: timedelta = timedelta(seconds=30)

    def __post_init__(self) -> None:
        if self.algorithm not in SUPPORTED_ALGORITHMS:
            raise ValueError(f"JWT algorithm must be one of {', '.join(SUPPORTED_ALGORITHMS)}")
        if self.algorithm == "HS256" and len(self.secret.encode()) < MIN_HS256_SECRET_BYTES:
            raise ValueError(f"the HS256 secret must be at least {MIN_HS256_SECRET_BYTES} bytes")
        if self.algorithm == "EdDSA" and not (
            self.signing_kid and self.private_key_pem and self.signing_kid in self.public_keys_pem
        ):
            raise ValueError("EdDSA needs a signing kid, its private key and its public key")


def _eddsa_keys(config: JwtConfig) -> tuple[Any, dict[str, Any]]:
    """Parse the key set now, so a bad one stops start-up rather than every sign-in."""
    algorithm = OKPAlgorithm()
    try:
        signing_key = algorithm.prepare_key(config.private_key_pem)
    except jwt.InvalidKeyError:
        raise ValueError("JWT_PRIVATE_KEY: not an Ed25519 private key in PEM") from None
    try:
        verify_keys = {
            kid: algorithm.prepare_key(pem) for kid, pem in config.public_keys_pem.items()
        }
    except jwt.InvalidKeyError:
        raise ValueError("JWT_PUBLIC_KEYS: not Ed25519 public keys in PEM") from None
    # The JWKS is published: a private key pasted here by mistake must not leak.
    if not all(isinstance(k, Ed25519PublicKey) for k in verify_keys.values()):
        raise ValueError("JWT_PUBLIC_KEYS must hold Ed25519 public keys only")
    if (
        not isinstance(signing_key, Ed25519PrivateKey)
        or signing_key.public_key() != (verify_keys[config.signing_kid])
    ):
        # Tokens signed with it would fail verification: every sign-in would end in 401s.
        raise ValueError(
            f"JWT_PRIVATE_KEY: does not match the public key of JWT_SIGNING_KID "
            f"{config.signing_kid!r} in JWT_PUBLIC_KEYS"
        )
    return signing_key, verify_keys


class JwtTokenIssuer:
    def __init__(self, config: JwtConfig) -> None:
        self._config = config
        self._jwt = jwt.PyJWT(options={"enforce_minimum_key_length": True})
        # Tokens that passed full verification, by their exact text, with their validity
        # window. Clients reuse an access token for its whole lifetime, and a signature
        # check (pyjwt validates base64url per character) is half of a GET /me; a cached
        # token still has its time window checked on every use. Bounded, LRU.
        self._verified: OrderedDict[str, tuple[AccessClaims, float, float]] = OrderedDict()
        self._signing_key: Any
        self._verify_keys: dict[str, Any]
        if config.algorithm == "HS256":
            self._signing_key = config.secret
            self._verify_keys = {"": config.secret}
        else:
            self._signing_key, self._verify_keys = _eddsa_keys(config)

    @property
    def access_ttl_seconds(self) -> int:
        return int(self._config.access_ttl.total_seconds())

    @property
    def accepted_lifetime_seconds(self) -> int:
        return int((self._config.access_ttl + self._config.leeway).total_seconds()) + 1

    def issue(self, user: User, now: datetime, token_id: str, session_id: str) -> str:
        config = self._config
        headers: dict[str, Any] = {"typ": TOKEN_TYPE}
        if config.algorithm == "EdDSA":
            headers["kid"] = config.signing_kid
        payload = {
            "iss": config.issuer,
            "aud": config.audience,
            "sub": user.id,
            "iat": now,
            "nbf": now,
            "exp": now + config.access_ttl,
            "jti": token_id,
            "role": user.role.value,
            "ver": user.token_version,
            # The session (refresh family) the token belongs to (OpenID's `sid`).
            "sid": session_id,
        }
        return self._jwt.encode(payload, self._signing_key, config.algorithm, headers=headers)

    def verify(self, token: str) -> AccessClaims:
        cached = self._verified.get(token)
        if cached is not None:
            return self._still_valid(token, *cached)
        claims, not_before, expires = self._verify_fully(token)
        self._verified[token] = (claims, not_before, expires)
        if len(self._verified) > VERIFIED_CACHE_SIZE:
            self._verified.popitem(last=False)
        return claims

    def _still_valid(
        self, token: str, claims: AccessClaims, not_before: float, expires: float
    ) -> AccessClaims:
        leeway = self._config.leeway.total_seconds()
        if not_before - leeway <= time.time() < expires + leeway:
            self._verified.move_to_end(token)
            return claims
        del self._verified[token]
        raise AuthenticationError

    def _verify_fully(self, token: str) -> tuple[AccessClaims, float, float]:
        config = self._config
        # Before pyjwt, which would accept non-canonical spellings. Only tokens that pass
        # enter the cache, so a cached text is always a canonical one.
        if not is_canonical_jws(token):
            raise AuthenticationError
        try:
            # HS256 has one key: decode once and check the verified header. EdDSA needs
            # the (unverified) header first, to pick the key named by `kid`.
            kid = (
                jwt.get_unverified_header(token).get("kid", "")
                if config.algorithm == "EdDSA"
                else ""
            )
            key = self._verify_keys.get(kid)
            if key is None:
                raise AuthenticationError
            decoded = self._jwt.decode_complete(
                token,
                key,
                algorithms=[config.algorithm],
                audience=config.audience,
                issuer=config.issuer,
                leeway=config.leeway,
                options={"require": REQUIRED_CLAIMS},
            )
            claims = decoded["payload"]
            subject, role, version, token_id, session_id = (
                claims["sub"],
                claims["role"],
                claims["ver"],
                claims["jti"],
                claims["sid"],
            )
        except (jwt.PyJWTError, KeyError, AttributeError):
            raise AuthenticationError from None
        if decoded["header"].get("typ") != TOKEN_TYPE:
            raise AuthenticationError
        if not (
            isinstance(subject, str)
            and isinstance(role, str)
            and type(version) is int
            and isinstance(session_id, str)
        ):
            raise AuthenticationError
        claims_out = AccessClaims(subject, role, version, str(token_id), session_id)
        return claims_out, float(claims["nbf"]), float(claims["exp"])

    def jwks(self) -> dict[str, Any]:
        """Public keys as a JWK Set; empty for HS256 (a shared secret is never published)."""
        if self._config.algorithm != "EdDSA":
            return {"keys": []}
        keys = []
        for kid, key in self._verify_keys.items():
            jwk = json.loads(OKPAlgorithm.to_jwk(key))
            keys.append({**jwk, "kid": kid, "alg": "EdDSA", "use": "sig"})
        return {"keys": keys}
