"""The security adapters: argon2id hashing, JWT access tokens, the password blocklist."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import argon2
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.security import jwt_tokens
from adapters.security.argon2_hasher import (
    MIN_MEMORY_KIB,
    MIN_PARALLELISM,
    MIN_TIME_COST,
    Argon2Params,
    Argon2PasswordHasher,
)
from adapters.security.jwt_tokens import REQUIRED_CLAIMS, JwtConfig, JwtTokenIssuer
from application.ports.token_issuer import AccessClaims
from domain.errors import AuthenticationError, ServiceBusyError
from domain.users import Email, Role, User

pytestmark = pytest.mark.unit

PASSWORD = "correct horse battery staple"
ISSUER = "serverless-auth"
AUDIENCE = "serverless-auth-api"
SECRET = "k" * 48


# --- argon2id ---------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_hash_is_argon2id_at_or_above_the_owasp_floor(
    argon2_hasher: Argon2PasswordHasher,
) -> None:
    password_hash = await argon2_hasher.hash(PASSWORD)

    params = argon2.extract_parameters(password_hash)
    assert password_hash.startswith("$argon2id$")
    assert params.type is argon2.Type.ID
    assert params.memory_cost >= 19456
    assert params.time_cost >= 2
    assert params.parallelism == 1


@pytest.mark.anyio
async def test_the_same_password_hashes_differently_each_time(
    argon2_hasher: Argon2PasswordHasher,
) -> None:
    first, second = await argon2_hasher.hash(PASSWORD), await argon2_hasher.hash(PASSWORD)

    assert first != second
    assert PASSWORD not in first


@pytest.mark.anyio
async def test_verify_accepts_the_password_and_rejects_any_other(
    argon2_hasher: Argon2PasswordHasher,
) -> None:
    password_hash = await argon2_hasher.hash(PASSWORD)

    assert await argon2_hasher.verify(password_hash, PASSWORD) is True
    assert await argon2_hasher.verify(password_hash, PASSWORD + " ") is False
    assert await argon2_hasher.verify(password_hash, PASSWORD.upper()) is False
    assert await argon2_hasher.verify(password_hash, "") is False


@pytest.mark.anyio
async def test_verify_handles_non_ascii_passwords(argon2_hasher: Argon2PasswordHasher) -> None:
    password = "ünïcödé pässwörd 🔑 ключ"
    password_hash = await argon2_hasher.hash(password)

    assert await argon2_hasher.verify(password_hash, password) is True
    assert await argon2_hasher.verify(password_hash, "unicode password") is False


@pytest.mark.anyio
@pytest.mark.parametrize(
    "malformed",
    [
        "",
        "not-a-hash",
        "plain$correct horse battery staple",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        "$argon2id$v=19$m=19456,t=2,p=1$bad",
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$",
    ],
    ids=["empty", "garbage", "other-scheme", "bcrypt", "truncated", "no-digest"],
)
async def test_verify_against_a_malformed_hash_is_false_not_an_error(
    argon2_hasher: Argon2PasswordHasher, malformed: str
) -> None:
    assert await argon2_hasher.verify(malformed, PASSWORD) is False


@pytest.mark.anyio
async def test_verify_against_a_hash_with_non_ascii_characters_is_false(
    argon2_hasher: Argon2PasswordHasher,
) -> None:
    assert await argon2_hasher.verify("$argon2id$v=19$m=19456,t=2,p=1$sälz$häsh", PASSWORD) is False


@pytest.mark.parametrize(
    "params",
    [
        {"memory_kib": MIN_MEMORY_KIB - 1},
        {"time_cost": MIN_TIME_COST - 1},
        {"parallelism": MIN_PARALLELISM - 1},
        {"memory_kib": 4096, "time_cost": 1},
    ],
    ids=["memory", "time-cost", "parallelism", "all-weak"],
)
def test_parameters_below_the_owasp_floor_are_refused(params: dict[str, int]) -> None:
    with pytest.raises(ValueError, match="OWASP floor"):
        Argon2Params(**params)


def test_the_default_parameters_are_the_owasp_floor() -> None:
    assert Argon2Params() == Argon2Params(memory_kib=19456, time_cost=2, parallelism=1)


def test_a_hash_with_weaker_parameters_needs_a_rehash(
    argon2_hasher: Argon2PasswordHasher,
) -> None:
    weak = argon2.PasswordHasher(
        time_cost=1, memory_cost=8192, parallelism=1, type=argon2.Type.ID
    ).hash(PASSWORD)

    assert argon2_hasher.needs_rehash(weak) is True


def test_a_hash_stronger_than_the_current_parameters_is_not_downgraded(
    argon2_hasher: Argon2PasswordHasher,
) -> None:
    stronger = argon2.PasswordHasher(
        time_cost=3, memory_cost=32768, parallelism=2, type=argon2.Type.ID
    ).hash(PASSWORD)

    assert argon2_hasher.needs_rehash(stronger) is False


def test_an_argon2i_hash_needs_a_rehash_to_argon2id(argon2_hasher: Argon2PasswordHasher) -> None:
    argon2i = argon2.PasswordHasher(
        time_cost=2, memory_cost=19456, parallelism=1, type=argon2.Type.I
    ).hash(PASSWORD)

    assert argon2_hasher.needs_rehash(argon2i) is True


@pytest.mark.anyio
async def test_a_hash_with_the_current_parameters_needs_no_rehash(
    argon2_hasher: Argon2PasswordHasher,
) -> None:
    assert argon2_hasher.needs_rehash(await argon2_hasher.hash(PASSWORD)) is False


def test_a_malformed_hash_needs_a_rehash(argon2_hasher: Argon2PasswordHasher) -> None:
    assert argon2_hasher.needs_rehash("not-a-hash") is True


@pytest.mark.anyio
async def test_a_weaker_hash_still_verifies_so_sign_in_can_upgrade_it(
    argon2_hasher: Argon2PasswordHasher,
) -> None:
    weak = argon2.PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)

    assert await argon2_hasher.verify(weak, PASSWORD) is True
    assert await argon2_hasher.verify(weak, "wrong password entirely") is False


@pytest.mark.anyio
async def test_the_dummy_verification_does_real_work_and_returns_nothing(
    argon2_hasher: Argon2PasswordHasher,
) -> None:
    assert await argon2_hasher.verify_dummy(PASSWORD) is None
    assert argon2_hasher.in_flight == 0


@pytest.mark.anyio
async def test_hashing_runs_off_the_event_loop(argon2_hasher: Argon2PasswordHasher) -> None:
    task = asyncio.ensure_future(argon2_hasher.hash(PASSWORD))
    ticks = 0
    while not task.done():
        ticks += 1
        await asyncio.sleep(0)

    assert task.result().startswith("$argon2id$")
    assert ticks > 1


async def holding_the_slot(hasher: Argon2PasswordHasher) -> None:
    """Yield to the loop until a started operation holds a slot (a few iterations)."""
    for _ in range(1000):
        if hasher.in_flight:
            return
        await asyncio.sleep(0)
    raise AssertionError("the first operation never started")


@pytest.mark.anyio
async def test_a_saturated_hasher_answers_busy_instead_of_queueing_forever() -> None:
    # Slower than the floor, so the first hash surely holds the only slot past the timeout.
    hasher = Argon2PasswordHasher(Argon2Params(time_cost=6), max_concurrency=1, queue_timeout=0.001)
    first = asyncio.ensure_future(hasher.hash(PASSWORD))
    await holding_the_slot(hasher)

    with pytest.raises(ServiceBusyError) as busy:
        await hasher.hash(PASSWORD)

    assert busy.value.retry_after_seconds == 1
    assert (await first).startswith("$argon2id$")
    assert hasher.in_flight == 0
    # The slot is released: the hasher serves again once the load is gone.
    assert await hasher.verify(await first, PASSWORD) is True


@pytest.mark.anyio
async def test_every_operation_of_a_saturated_hasher_answers_busy() -> None:
    hasher = Argon2PasswordHasher(Argon2Params(time_cost=6), max_concurrency=1, queue_timeout=0.001)
    password_hash = await hasher.hash(PASSWORD)
    first = asyncio.ensure_future(hasher.hash(PASSWORD))
    await holding_the_slot(hasher)

    with pytest.raises(ServiceBusyError):
        await hasher.verify(password_hash, PASSWORD)
    with pytest.raises(ServiceBusyError):
        await hasher.verify_dummy(PASSWORD)
    await first


@pytest.mark.anyio
async def test_hashes_within_the_concurrency_limit_all_complete() -> None:
    hasher = Argon2PasswordHasher(Argon2Params(), max_concurrency=2, queue_timeout=5.0)

    results = await asyncio.gather(*(hasher.hash(f"{PASSWORD} {i}") for i in range(4)))

    assert len(set(results)) == 4
    assert hasher.in_flight == 0


# --- JWT access tokens ------------------------------------------------------------------


def a_user(**overrides: Any) -> User:
    created = datetime(2026, 1, 1, tzinfo=UTC)
    fields: dict[str, Any] = {
        "id": "user-1",
        "email": Email("ann@example.com"),
        "name": "Ann",
        "role": Role.USER,
        "password_hash": "irrelevant",
        "created_at": created,
        "updated_at": created,
        "token_version": 3,
    }
    fields.update(overrides)
    return User(**fields)


def hs256_issuer(**overrides: Any) -> JwtTokenIssuer:
    config: dict[str, Any] = {"issuer": ISSUER, "audience": AUDIENCE, "secret": SECRET}
    config.update(overrides)
    return JwtTokenIssuer(JwtConfig(**config))


def now() -> datetime:
    return datetime.now(UTC)


def valid_claims(**overrides: Any) -> dict[str, Any]:
    """The claims the issuer would put in a fresh token; `None` values are dropped."""
    issued = int(now().timestamp())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-1",
        "iat": issued,
        "nbf": issued,
        "exp": issued + 900,
        "jti": "token-1",
        "sid": "session-1",
        "role": "user",
        "ver": 3,
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(
    claims: Mapping[str, Any],
    *,
    header: Mapping[str, Any] | None = None,
    key: bytes = SECRET.encode(),
) -> str:
    """A JWT signed with HMAC-SHA256 over whatever header and claims we like."""
    head = {"alg": "HS256", "typ": "at+jwt", **(header or {})}
    signing_input = (
        _b64url(json.dumps({k: v for k, v in head.items() if v is not None}).encode())
        + "."
        + _b64url(json.dumps(dict(claims)).encode())
    )
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


def test_an_issued_hs256_token_verifies_to_its_claims() -> None:
    issuer = hs256_issuer()
    user = a_user(role=Role.ADMIN)

    token = issuer.issue(user, now(), "token-42", "sid-1")

    assert issuer.verify(token) == AccessClaims("user-1", "admin", 3, "token-42", "sid-1")


def test_an_issued_token_has_the_at_jwt_type_and_every_required_claim() -> None:
    issued_at = now().replace(microsecond=0)
    token = hs256_issuer().issue(a_user(), issued_at, "token-1", "sid-1")

    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert header == {"alg": "HS256", "typ": "at+jwt"}
    assert set(REQUIRED_CLAIMS) <= claims.keys()
    assert claims["iss"] == ISSUER
    assert claims["aud"] == AUDIENCE
    assert claims["exp"] - claims["iat"] == 900
    assert claims["nbf"] == claims["iat"] == int(issued_at.timestamp())
    assert claims["ver"] == 3


def test_the_access_ttl_is_configurable_and_reported_in_seconds() -> None:
    issuer = hs256_issuer(access_ttl=timedelta(minutes=5))
    token = issuer.issue(a_user(), now(), "t", "sid-1")

    claims = jwt.decode(token, options={"verify_signature": False})
    assert issuer.access_ttl_seconds == 300
    assert claims["exp"] - claims["iat"] == 300


def test_a_hand_forged_token_with_the_right_secret_verifies() -> None:
    # The forging helper is faithful: every rejection below is about the one change made.
    assert hs256_issuer().verify(forge(valid_claims())).user_id == "user-1"


@pytest.mark.parametrize("typ", ["JWT", "jwt", "at+JWT2", None], ids=str)
def test_a_token_without_the_at_jwt_type_is_rejected(typ: str | None) -> None:
    token = forge(valid_claims(), header={"typ": typ})

    with pytest.raises(AuthenticationError):
        hs256_issuer().verify(token)


def test_an_unsigned_alg_none_token_is_rejected() -> None:
    head = _b64url(json.dumps({"alg": "none", "typ": "at+jwt"}).encode())
    body = _b64url(json.dumps(valid_claims()).encode())

    with pytest.raises(AuthenticationError):
        hs256_issuer().verify(f"{head}.{body}.")


@pytest.mark.parametrize("alg", ["HS384", "HS512"])
def test_a_token_signed_with_another_algorithm_is_rejected(alg: str) -> None:
    token = jwt.encode(valid_claims(), SECRET, algorithm=alg, headers={"typ": "at+jwt"})

    with pytest.raises(AuthenticationError):
        hs256_issuer().verify(token)


def test_a_token_signed_with_another_secret_is_rejected() -> None:
    token = forge(valid_claims(), key=b"x" * 48)

    with pytest.raises(AuthenticationError):
        hs256_issuer().verify(token)


def test_a_token_from_another_issuer_is_rejected() -> None:
    with pytest.raises(AuthenticationError):
        hs256_issuer().verify(forge(valid_claims(iss="https://evil.example")))


@pytest.mark.parametrize("aud", ["another-api", ["another-api"], ""], ids=repr)
def test_a_token_for_another_audience_is_rejected(aud: Any) -> None:
    with pytest.raises(AuthenticationError):
        hs256_issuer().verify(forge(valid_claims(aud=aud)))


def test_an_issuer_configured_differently_rejects_the_others_tokens() -> None:
    token = hs256_issuer(audience="admin-api").issue(a_user(), now(), "t", "sid-1")

    with pytest.raises(AuthenticationError):
        hs256_issuer().verify(token)


def test_an_expired_token_is_rejected() -> None:
    token = hs256_issuer().issue(a_user(), now() - timedelta(hours=1), "t", "sid-1")

    with pytest.raises(AuthenticationError):
        hs256_issuer().verify(token)


def test_a_token_expired_within_the_clock_leeway_is_still_accepted() -> None:
    issued = int(now().timestamp()) - 900
    token = forge(valid_claims(iat=issued, nbf=issued, exp=issued + 890))

    assert hs256_issuer().verify(token).token_id == "token-1"


def test_a_token_not_valid_before_a_future_time_is_rejected() -> None:
    issued = int(now().timestamp())
    token = forge(valid_claims(iat=issued, nbf=issued + 3600, exp=issued + 7200))

    with pytest.raises(AuthenticationError):
        hs256_issuer().verify(token)


@pytest.mark.parametrize("missing", [*REQUIRED_CLAIMS, "role", "ver"])
def test_a_token_missing_a_claim_is_rejected(missing: str) -> None:
    token = forge(valid_claims(**{missing: None}))

    with pytest.raises(AuthenticationError):
        hs256_issuer().verify(token)


@pytest.mark.parametrize(
    "claims",
    [{"ver": "3"}, {"ver": True}, {"ver": 3.0}, {"sub": 1}, {"role": ["admin"]}],
    ids=["ver-str", "ver-bool", "ver-float", "sub-int", "role-list"],
)
def test_a_token_with_a_claim_of_the_wrong_type_is_rejected(claims: dict[str, Any]) -> None:
    with pytest.raises(AuthenticationError):
        hs256_issuer().verify(forge(valid_claims(**claims)))


def test_a_token_with_a_tampered_signature_is_rejected() -> None:
    token = hs256_issuer().issue(a_user(), now(), "t", "sid-1")
    head, body, signature = token.split(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]

    with pytest.raises(AuthenticationError):
        hs256_issuer().verify(f"{head}.{body}.{flipped}")


def test_a_token_whose_claims_were_edited_after_signing_is_rejected() -> None:
    token = hs256_issuer().issue(a_user(), now(), "t", "sid-1")
    head, body, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    claims["role"] = "admin"

    with pytest.raises(AuthenticationError):
        hs256_issuer().verify(f"{head}.{_b64url(json.dumps(claims).encode())}.{signature}")


@pytest.mark.parametrize(
    "garbage", ["", "abc", "a.b.c", "a.b", "....", "Bearer x", "eyJ.eyJ.sig"], ids=repr
)
def test_garbage_is_rejected_as_unauthenticated(garbage: str) -> None:
    with pytest.raises(AuthenticationError):
        hs256_issuer().verify(garbage)


@pytest.mark.parametrize("secret", ["", "short", "s" * 31], ids=["empty", "5-bytes", "31-bytes"])
def test_an_hs256_secret_shorter_than_32_bytes_is_refused(secret: str) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        JwtConfig(issuer=ISSUER, audience=AUDIENCE, secret=secret)


def test_the_secret_length_is_counted_in_bytes_not_characters() -> None:
    JwtConfig(issuer=ISSUER, audience=AUDIENCE, secret="s" * 32)
    JwtConfig(issuer=ISSUER, audience=AUDIENCE, secret="é" * 16)  # 32 bytes in UTF-8
    with pytest.raises(ValueError, match="32 bytes"):
        JwtConfig(issuer=ISSUER, audience=AUDIENCE, secret="é" * 15 + "s")  # 31 bytes


@pytest.mark.parametrize("algorithm", ["none", "RS256", "HS512", "ES256"])
def test_an_unsupported_algorithm_is_refused(algorithm: str) -> None:
    with pytest.raises(ValueError, match="algorithm"):
        JwtConfig(issuer=ISSUER, audience=AUDIENCE, algorithm=algorithm, secret=SECRET)


def test_an_hs256_issuer_publishes_no_keys() -> None:
    assert hs256_issuer().jwks() == {"keys": []}


# --- EdDSA with key rotation ------------------------------------------------------------


def ed25519_pair() -> tuple[str, str]:
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture(scope="module")
def key_a() -> tuple[str, str]:
    return ed25519_pair()


@pytest.fixture(scope="module")
def key_b() -> tuple[str, str]:
    return ed25519_pair()


def eddsa_issuer(signing: str, private: str, public: Mapping[str, str]) -> JwtTokenIssuer:
    return JwtTokenIssuer(
        JwtConfig(
            issuer=ISSUER,
            audience=AUDIENCE,
            algorithm="EdDSA",
            signing_kid=signing,
            private_key_pem=private,
            public_keys_pem=dict(public),
        )
    )


def test_a_private_key_among_the_public_keys_is_refused(key_a: tuple[str, str]) -> None:
    private, _ = key_a

    with pytest.raises(ValueError, match="public keys only"):
        eddsa_issuer("a", private, {"a": private})


def test_an_eddsa_token_carries_its_kid_and_verifies(key_a: tuple[str, str]) -> None:
    issuer = eddsa_issuer("A", key_a[0], {"A": key_a[1]})

    token = issuer.issue(a_user(), now(), "t-a", "sid-1")

    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "typ": "at+jwt", "kid": "A"}
    assert issuer.verify(token) == AccessClaims("user-1", "user", 3, "t-a", "sid-1")


def test_after_rotation_tokens_of_the_old_kid_still_verify_while_the_new_kid_signs(
    key_a: tuple[str, str], key_b: tuple[str, str]
) -> None:
    before = eddsa_issuer("A", key_a[0], {"A": key_a[1]})
    old_token = before.issue(a_user(), now(), "t-a", "sid-1")

    after = eddsa_issuer("B", key_b[0], {"A": key_a[1], "B": key_b[1]})
    new_token = after.issue(a_user(), now(), "t-b", "sid-1")

    assert jwt.get_unverified_header(new_token)["kid"] == "B"
    assert after.verify(old_token).token_id == "t-a"
    assert after.verify(new_token).token_id == "t-b"


def test_once_the_old_kid_is_retired_its_tokens_are_rejected(
    key_a: tuple[str, str], key_b: tuple[str, str]
) -> None:
    old_token = eddsa_issuer("A", key_a[0], {"A": key_a[1]}).issue(a_user(), now(), "t-a", "sid-1")
    retired = eddsa_issuer("B", key_b[0], {"B": key_b[1]})

    with pytest.raises(AuthenticationError):
        retired.verify(old_token)


def test_a_token_with_an_unknown_kid_is_rejected(
    key_a: tuple[str, str], key_b: tuple[str, str]
) -> None:
    stranger = eddsa_issuer("C", key_b[0], {"C": key_b[1]}).issue(a_user(), now(), "t", "sid-1")
    issuer = eddsa_issuer("A", key_a[0], {"A": key_a[1]})

    with pytest.raises(AuthenticationError):
        issuer.verify(stranger)


def test_a_token_naming_a_known_kid_but_signed_by_another_key_is_rejected(
    key_a: tuple[str, str], key_b: tuple[str, str]
) -> None:
    impostor = eddsa_issuer("A", key_b[0], {"A": key_b[1]}).issue(a_user(), now(), "t", "sid-1")
    issuer = eddsa_issuer("A", key_a[0], {"A": key_a[1]})

    with pytest.raises(AuthenticationError):
        issuer.verify(impostor)


def test_an_eddsa_token_without_a_kid_is_rejected(key_a: tuple[str, str]) -> None:
    private_key = serialization.load_pem_private_key(key_a[0].encode(), password=None)
    token = jwt.encode(valid_claims(), private_key, algorithm="EdDSA", headers={"typ": "at+jwt"})

    with pytest.raises(AuthenticationError):
        eddsa_issuer("A", key_a[0], {"A": key_a[1]}).verify(token)


def test_an_eddsa_issuer_rejects_hs256_tokens_even_keyed_with_its_public_key(
    key_a: tuple[str, str],
) -> None:
    # Algorithm confusion: HMAC over the public key the attacker can read from the JWKS.
    token = forge(valid_claims(), header={"kid": "A"}, key=key_a[1].encode())

    with pytest.raises(AuthenticationError):
        eddsa_issuer("A", key_a[0], {"A": key_a[1]}).verify(token)


def test_an_hs256_issuer_rejects_eddsa_tokens(key_a: tuple[str, str]) -> None:
    token = eddsa_issuer("A", key_a[0], {"A": key_a[1]}).issue(a_user(), now(), "t", "sid-1")

    with pytest.raises(AuthenticationError):
        hs256_issuer().verify(token)


def test_the_jwks_publishes_every_public_key_as_an_okp_jwk_with_its_kid(
    key_a: tuple[str, str], key_b: tuple[str, str]
) -> None:
    issuer = eddsa_issuer("B", key_b[0], {"A": key_a[1], "B": key_b[1]})

    keys = {jwk["kid"]: jwk for jwk in issuer.jwks()["keys"]}

    assert set(keys) == {"A", "B"}
    for kid, (_, public_pem) in {"A": key_a, "B": key_b}.items():
        public_key = serialization.load_pem_public_key(public_pem.encode())
        raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        assert keys[kid] == {
            "kty": "OKP",
            "crv": "Ed25519",
            "x": _b64url(raw),
            "kid": kid,
            "alg": "EdDSA",
            "use": "sig",
        }


def test_a_published_jwk_verifies_the_issuers_tokens(key_a: tuple[str, str]) -> None:
    issuer = eddsa_issuer("A", key_a[0], {"A": key_a[1]})
    token = issuer.issue(a_user(), now(), "t", "sid-1")
    jwk = issuer.jwks()["keys"][0]

    claims = jwt.decode(
        token, jwt.PyJWK(jwk).key, algorithms=["EdDSA"], audience=AUDIENCE, issuer=ISSUER
    )

    assert claims["sub"] == "user-1"


@pytest.mark.parametrize(
    ("signing", "with_private", "public_kids"),
    [("", True, ["A"]), ("A", False, ["A"]), ("A", True, []), ("A", True, ["B"])],
    ids=["no-kid", "no-private-key", "no-public-keys", "kid-without-public-key"],
)
def test_an_incomplete_eddsa_configuration_is_refused(
    key_a: tuple[str, str], signing: str, with_private: bool, public_kids: list[str]
) -> None:
    with pytest.raises(ValueError, match="EdDSA"):
        JwtConfig(
            issuer=ISSUER,
            audience=AUDIENCE,
            algorithm="EdDSA",
            signing_kid=signing,
            private_key_pem=key_a[0] if with_private else "",
            public_keys_pem=dict.fromkeys(public_kids, key_a[1]),
        )


# The cache of verified tokens


def test_a_verified_token_is_served_from_the_cache_until_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    issuer = hs256_issuer()
    token = forge(valid_claims())
    first = issuer.verify(token)
    real_time = time.time()

    assert issuer.verify(token) == first
    monkeypatch.setattr(time, "time", lambda: real_time + 900 + 31)  # past exp + leeway
    with pytest.raises(AuthenticationError):
        issuer.verify(token)
    assert token not in issuer._verified


def test_a_rejected_token_is_not_cached_and_stays_rejected() -> None:
    issuer = hs256_issuer()
    token = forge(valid_claims(), key=b"another-secret-that-is-long-enough-32b")

    for _ in range(2):
        with pytest.raises(AuthenticationError):
            issuer.verify(token)


def test_the_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jwt_tokens, "VERIFIED_CACHE_SIZE", 3)
    issuer = hs256_issuer()
    for n in range(5):
        issuer.verify(forge(valid_claims(jti=f"t{n}")))

    assert len(issuer._verified) == 3
