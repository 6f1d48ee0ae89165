"""`/api/v1/users/me/...`: the signed-in user's sessions, two-factor and audit trail."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.di import Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from application.audit.list_events import ListAuditEventsQuery
from application.pagination import MAX_PAGE_SIZE
from application.sessions.list_sessions import ListSessionsQuery
from application.sessions.revoke_other_sessions import RevokeOtherSessionsCommand
from application.sessions.revoke_session import RevokeSessionCommand
from application.two_factor.confirm import ConfirmTwoFactorCommand
from application.two_factor.disable import DisableTwoFactorCommand
from application.two_factor.enroll import EnrollTwoFactorCommand
from entrypoints.http.dependencies import (
    Caller,
    Client,
    CurrentUser,
    ServicesDep,
    provide_current_user,
    provide_principal,
)
from entrypoints.http.openapi import BODY, problems
from entrypoints.http.schemas import (
    AuditPageOut,
    BackupCodesOut,
    CodeIn,
    PasswordAndCodeIn,
    PasswordIn,
    SessionListOut,
    TotpEnrollmentOut,
    audit_page_out,
    session_out,
)

BEARER: list[dict[str, list[str]]] = [{"BearerToken": []}]
SIGNED_IN = {
    "principal": Provide(provide_principal),
    "current_user": Provide(provide_current_user),
}
Limit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE_SIZE)]
Cursor = Annotated[str | None, QueryParameter(max_length=512)]


class AccountController(Controller):
    path = "/api/v1/users/me"
    tags = ["account"]  # noqa: RUF012
    security = BEARER
    dependencies = SIGNED_IN

    @get("/sessions", operation_id="listSessions", responses=problems(401, 503))
    async def list_sessions(self, principal: Caller, services: ServicesDep) -> SessionListOut:
        """Your signed-in devices, most recently used first; `current` marks this one."""
        sessions = await services.list_sessions.execute(ListSessionsQuery(principal.user))
        return SessionListOut([session_out(s, principal.session_id) for s in sessions])

    @delete(
        "/sessions/{session_id:str}",
        operation_id="revokeSession",
        status_code=204,
        responses=problems(400, 401, 404, 422, 503),
    )
    async def revoke_session(
        self, session_id: FromPath[str], principal: Caller, services: ServicesDep, client: Client
    ) -> None:
        """Sign one device out: its refresh token stops working now, its access token
        within its lifetime (15 minutes by default). 404 if it is not one of yours."""
        command = RevokeSessionCommand(principal.user, session_id, client)
        await services.revoke_session.execute(command)

    @delete(
        "/sessions",
        operation_id="revokeOtherSessions",
        status_code=204,
        responses=problems(401, 503),
    )
    async def revoke_other_sessions(
        self, principal: Caller, services: ServicesDep, client: Client
    ) -> None:
        """Sign out everywhere else: every session but the current one ends."""
        command = RevokeOtherSessionsCommand(principal.user, principal.session_id, client)
        await services.revoke_other_sessions.execute(command)

    @post(
        "/two-factor",
        operation_id="enrollTwoFactor",
        status_code=201,
        responses=problems(*BODY, 401, 403, 409, 429, 503),
    )
    async def enroll_two_factor(
        self,
        data: JSONBody[PasswordIn],
        current_user: CurrentUser,
        services: ServicesDep,
        client: Client,
    ) -> TotpEnrollmentOut:
        """Start turning two-factor on: a new authenticator secret, pending until
        confirmed with a code. 401 if the password is wrong; 403 until the email is
        verified; 409 if two-factor is on; 429 after repeated wrong passwords."""
        command = EnrollTwoFactorCommand(current_user, data.password, client)
        enrollment = await services.enroll_two_factor.execute(command)
        return TotpEnrollmentOut(enrollment.secret, enrollment.provisioning_uri)

    @post(
        "/two-factor/confirm",
        operation_id="confirmTwoFactor",
        status_code=200,
        responses=problems(*BODY, 401, 409, 429, 503),
    )
    async def confirm_two_factor(
        self,
        data: JSONBody[CodeIn],
        current_user: CurrentUser,
        services: ServicesDep,
        client: Client,
    ) -> BackupCodesOut:
        """Turn two-factor on with a first code from the app; answers 10 single-use
        backup codes, shown this once. 422 for a wrong code; 409 if nothing is pending;
        429 after repeated wrong codes."""
        command = ConfirmTwoFactorCommand(current_user, data.code, client)
        return BackupCodesOut(await services.confirm_two_factor.execute(command))

    @post(
        "/two-factor/disable",
        operation_id="disableTwoFactor",
        status_code=204,
        responses=problems(*BODY, 401, 409, 429, 503),
    )
    async def disable_two_factor(
        self,
        data: JSONBody[PasswordAndCodeIn],
        current_user: CurrentUser,
        services: ServicesDep,
        client: Client,
    ) -> None:
        """Turn two-factor off with the password and a code (or a backup code), or abandon
        a pending enrollment with the password alone. 401 if either is wrong; 409 if
        two-factor is neither on nor pending; 429 after repeated failures."""
        command = DisableTwoFactorCommand(current_user, data.password, data.code, client)
        await services.disable_two_factor.execute(command)

    @get("/audit", operation_id="listMyAuditEvents", responses=problems(400, 401, 422, 503))
    async def list_my_audit_events(
        self,
        current_user: CurrentUser,
        services: ServicesDep,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AuditPageOut:
        """Your account's audit trail, newest first, `limit` per page, `next_cursor` for more."""
        query = ListAuditEventsQuery(current_user, current_user.id, limit, cursor)
        return audit_page_out(await services.list_audit_events.execute(query))


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]  # noqa: RUF012
    security = BEARER
    dependencies = SIGNED_IN

    @get("/", operation_id="listAuditEvents", responses=problems(400, 401, 403, 422, 503))
    async def list_audit_events(
        self,
        current_user: CurrentUser,
        services: ServicesDep,
        user_id: Annotated[str | None, QueryParameter(max_length=128)] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> AuditPageOut:
        """Admins only: the audit trail of one user (`user_id`) or of everyone, newest
        first. Events of deleted users remain until retention expires them."""
        query = ListAuditEventsQuery(current_user, user_id, limit, cursor)
        return audit_page_out(await services.list_audit_events.execute(query))
