from __future__ import annotations

import logging
from dataclasses import dataclass

from application.audit.auditor import Auditor
from application.auth.one_time_tokens import OneTimeTokens
from application.auth.secret_checks import SecretChecks
from application.auth.sessions import SessionIssuer, TokenPair
from application.context import NO_CLIENT, ClientInfo
from application.ports.one_time_passwords import OneTimePasswords
from application.ports.system import Clock
from application.ports.user_repository import UserRepository
from application.two_factor.codes import AcceptedCode, accept_code
from application.users.writes import update_latest
from domain.audit import AuditEventType
from domain.errors import InvalidCodeError
from domain.one_time_tokens import TokenPurpose
from domain.users import User

log = logging.getLogger("auth.sign_in")


@dataclass(frozen=True, slots=True)
class TwoFactorSignInCommand:
    challenge: str
    code: str
    client: ClientInfo = NO_CLIENT


class CompleteTwoFactorSignIn:
    """Finish a challenged sign-in with an app code or a backup code.

    Rules: the challenge is short-lived and single-use, and dies with a password change;
    the code is accepted for a later time step than any code used before (checked and
    recorded in one compare-and-set, so a code cannot be replayed even concurrently);
    a backup code works once; wrong codes are throttled per account and per client
    network on the budget of every check of a secret (exponential back-off, never a
    permanent lock), and audited.
    """

    def __init__(
        self,
        users: UserRepository,
        challenges: OneTimeTokens,
        otp: OneTimePasswords,
        checks: SecretChecks,
        sessions: SessionIssuer,
        clock: Clock,
        auditor: Auditor,
    ) -> None:
        self._users = users
        self._challenges = challenges
        self._otp = otp
        self._checks = checks
        self._sessions = sessions
        self._clock = clock
        self._auditor = auditor

    async def execute(self, command: TwoFactorSignInCommand) -> TokenPair:
        now, client = self._clock.now(), command.client
        purpose = TokenPurpose.TWO_FACTOR_CHALLENGE
        challenge = await self._challenges.peek(command.challenge, purpose, now)
        if challenge is None:
            raise InvalidCodeError
        await self._checks.begin(challenge.user_id, client, now)
        user = await self._users.get(challenge.user_id)
        if user is None:
            raise InvalidCodeError
        accepted: list[AcceptedCode] = []

        def used(latest: User) -> User:
            if str(latest.token_version) != challenge.binding:
                raise InvalidCodeError  # the password changed since the challenge
            if latest.totp is None or not latest.totp.confirmed:
                raise InvalidCodeError
            accepted[:] = [accept_code(self._otp, latest.totp, command.code, now)]
            return latest.changed(now, totp=accepted[0].factor)

        try:
            # Check first without spending anything: a wrong code must not use up the
            # challenge, and a right one must not be spent by a request that then loses
            # the challenge to a concurrent one.
            used(user)
        except InvalidCodeError:
            log.info("sign_in", extra={"outcome": "two_factor_failure", "user_id": user.id})
            await self._checks.failed(
                user.id, client, now, operation="sign_in", event=AuditEventType.TWO_FACTOR_FAILED
            )
            raise
        if await self._challenges.redeem(command.challenge, purpose, now) is None:
            raise InvalidCodeError  # a concurrent request completed this challenge
        # Spend the code on the latest state: a concurrent replay of it fails here.
        user = await update_latest(self._users, user, used)
        await self._checks.succeeded(user.id)
        method = "backup_code" if accepted[0].backup_code else "totp"
        log.info(
            "sign_in", extra={"outcome": "success", "user_id": user.id, "client_ip": client.ip}
        )
        tokens = await self._sessions.start(user, now, client)
        # Audit last: it never fails the request (see `Auditor`).
        if accepted[0].backup_code:
            remaining = str(len(accepted[0].factor.backup_code_hashes))
            await self._auditor.record(
                AuditEventType.BACKUP_CODE_USED,
                user.id,
                client,
                actor_id=user.id,
                remaining=remaining,
            )
        await self._auditor.record(
            AuditEventType.SIGN_IN_SUCCEEDED, user.id, client, actor_id=user.id, method=method
        )
        return tokens
