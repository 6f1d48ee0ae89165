"""Baseline for bench/compare.py: the smallest FastAPI + Mangum app doing our `GET /me`.

`GET /api/v1/users/me` verifies the same access token as adapters/security/jwt_tokens.py
(HS256, header `typ: at+jwt`, required `exp iat nbf iss aud sub jti`, the issuer and the
audience) with pyjwt, then reads the user from a dict. There is no store, no problem+json,
no ETag, no logging, no tracing and no metrics: it is a floor, not a rival.

Environment: `JWT_SECRET` (the bench's), `BASELINE_USER_ID` (the one user in the dict);
`JWT_ISSUER` / `JWT_AUDIENCE` default to the app's defaults.
ASGI: `bench.baselines.fastapi_me:app`. Lambda: `bench.baselines.fastapi_me.handler`.
"""

from __future__ import annotations

import os

import jwt
from fastapi import FastAPI, Header, HTTPException
from mangum import Mangum

SECRET = os.environ["JWT_SECRET"]
ISSUER = os.environ.get("JWT_ISSUER", "serverless-auth")
AUDIENCE = os.environ.get("JWT_AUDIENCE", "serverless-auth-api")
REQUIRED = ["exp", "iat", "nbf", "iss", "aud", "sub", "jti", "sid"]

_user_id = os.environ.get("BASELINE_USER_ID", "baseline-user")
USERS: dict[str, dict[str, object]] = {
    _user_id: {
        "id": _user_id,
        "email": "baseline@example.com",
        "name": "Baseline",
        "role": "user",
        "version": 1,
    }
}

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)


def _unauthenticated() -> HTTPException:
    return HTTPException(401, "unauthenticated", headers={"WWW-Authenticate": "Bearer"})


@app.get("/api/v1/users/me")
async def me(authorization: str | None = Header(default=None)) -> dict[str, object]:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise _unauthenticated()
    try:
        if jwt.get_unverified_header(token).get("typ") != "at+jwt":
            raise _unauthenticated()
        claims = jwt.decode(
            token,
            SECRET,
            algorithms=["HS256"],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": REQUIRED},
        )
    except jwt.PyJWTError as exc:
        raise _unauthenticated() from exc
    user = USERS.get(claims["sub"])
    if user is None or user["version"] != claims.get("ver"):
        raise _unauthenticated()
    return user


handler = Mangum(app, lifespan="off")
