"""The links emailed to users, and the policy for asking for them."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote

from application.auth.one_time_tokens import OneTimeTokens
from application.context import ClientInfo
from application.emails import email_changed_notice, password_reset_email, verification_email
from application.ports.email_sender import EmailDeliveryError, EmailMessage, EmailSender
from application.ports.pseudonyms import Pseudonyms
from application.ports.throttle_repository import ThrottleRepository
from domain.auth import ThrottlePolicy
from domain.errors import TooManyAttemptsError
from domain.one_time_tokens import TokenPurpose
from domain.users import User

log = logging.getLogger("auth.email")


PER_ADDRESS = ThrottlePolicy(3, timedelta(hours=1), timedelta(minutes=1))
PER_IP = ThrottlePolicy(20, timedelta(hours=1), timedelta(seconds=10))
MAIL_WINDOW = timedelta(hours=1)


def hourly(count: int) -> ThrottlePolicy:
    """`count` free in an hour, then a wait that starts at a minute and doubles up to
    the hour: a limit, never a lock."""
    return ThrottlePolicy(count, MAIL_WINDOW, timedelta(minutes=1), MAIL_WINDOW)


MAILS_PER_ADDRESS = hourly(5)
MAILS_PER_ACCOUNT = hourly(10)


@dataclass(frozen=True, slots=True)
class MailLimits:
    """Every mail the service sends counts against the address it goes to and the
    account it is about, so nobody can turn the service into a mail bomb, whichever
    flow sends."""

    per_address: ThrottlePolicy = MAILS_PER_ADDRESS
    per_account: ThrottlePolicy = MAILS_PER_ACCOUNT


@dataclass(frozen=True, slots=True)
class EmailLinkPolicy:
    """`base_url` is where the frontend is served; links carry the token in the URL
    fragment (`#token=`), which browsers never send to a server or in a Referer."""

    base_url: str
    product: str = "Serverless Auth"
    verification_ttl: timedelta = timedelta(hours=24)
    reset_ttl: timedelta = timedelta(hours=1)
    # Requests for a link, per address and per client IP (never a permanent lock).
    per_address: ThrottlePolicy = PER_ADDRESS
    per_ip: ThrottlePolicy = PER_IP
    # Both answers to "email me a link" take at least this long (see `pacing`).
    min_response: timedelta = timedelta(milliseconds=300)
    mail_limits: MailLimits = field(default_factory=MailLimits)

    def link(self, page: str, token: str) -> str:
        return f"{self.base_url.rstrip('/')}/{page}#token={quote(token, safe='')}"


def reset_binding(user: User) -> str:
    """A reset link is valid for the password and the address it was sent with."""
    return f"{user.token_version}|{user.email.value}"


def address_key(pseudonyms: Pseudonyms, prefix: str, email: str) -> str:
    """A throttle key for an address that does not store the address (nor a bare hash
    of it, which anyone reading the store could match against guesses)."""
    return f"{prefix}:" + pseudonyms.of("email", email.strip().lower())


async def check_link_request(
    throttles: ThrottleRepository,
    pseudonyms: Pseudonyms,
    policy: EmailLinkPolicy,
    kind: str,
    email: str,
    client: ClientInfo,
    now: datetime,
) -> None:
    """Count one request for a link; `TooManyAttemptsError` past the free ones."""
    wait = await throttles.reserve_attempt(f"{kind}-ip:{client.network}", now, policy.per_ip)
    wait = wait or await throttles.reserve_attempt(
        address_key(pseudonyms, kind, email), now, policy.per_address
    )
    if wait:
        raise TooManyAttemptsError(wait)


class MailBudget:
    """`MailLimits` kept in the shared throttle store (so they hold across instances)."""

    def __init__(
        self, throttles: ThrottleRepository, pseudonyms: Pseudonyms, limits: MailLimits
    ) -> None:
        self._throttles = throttles
        self._pseudonyms = pseudonyms
        self._limits = limits

    async def check(self, account_id: str, addresses: Iterable[str], now: datetime) -> None:
        """`TooManyAttemptsError` if a mail about the account to any of `addresses` would
        have to wait (counts nothing): an action that must tell someone is refused
        rather than done silently."""
        waits = [await self._wait(self._account_key(account_id), self._limits.per_account, now)]
        for address in addresses:
            waits.append(
                await self._wait(self._address_key(address), self._limits.per_address, now)
            )
        if max(waits):
            raise TooManyAttemptsError(max(waits))

    async def take(self, account_id: str, address: str, now: datetime) -> bool:
        """Count one mail; False (counting nothing more) when it must not be sent now."""
        limits = self._limits
        if await self._throttles.reserve_attempt(
            self._address_key(address), now, limits.per_address
        ):
            return False
        wait = await self._throttles.reserve_attempt(
            self._account_key(account_id), now, limits.per_account
        )
        return wait == 0

    async def _wait(self, key: str, policy: ThrottlePolicy, now: datetime) -> int:
        return policy.retry_after(await self._throttles.get(key), now)

    def _address_key(self, address: str) -> str:
        return address_key(self._pseudonyms, "mail-to", address)

    @staticmethod
    def _account_key(account_id: str) -> str:
        return f"mail-acct:{account_id}"


class LinkMailer:
    """Issues a single-use token and emails its link, within the `MailLimits`.

    A delivery failure, or a mail over its limits, is logged, not raised: the account
    change that caused the email has happened, and the user can ask for another link.
    Actions whose mail must not be skipped check the budget first (`budget.check`).
    """

    def __init__(
        self,
        tokens: OneTimeTokens,
        sender: EmailSender,
        policy: EmailLinkPolicy,
        budget: MailBudget,
    ) -> None:
        self._tokens = tokens
        self._sender = sender
        self.policy = policy
        self.budget = budget

    async def send_verification(self, user: User, now: datetime) -> None:
        p = self.policy
        if not await self.budget.take(user.id, user.email.value, now):
            self._suppressed(user, "verify_email")
            return
        raw = await self._tokens.issue(
            user, TokenPurpose.VERIFY_EMAIL, user.email.value, now, p.verification_ttl
        )
        link = p.link("verify-email", raw)
        await self._deliver(
            verification_email(user.email.value, link, p.verification_ttl, p.product), user
        )

    async def send_reset(self, user: User, now: datetime) -> None:
        p = self.policy
        if not await self.budget.take(user.id, user.email.value, now):
            self._suppressed(user, "reset_password")
            return
        raw = await self._tokens.issue(
            user, TokenPurpose.RESET_PASSWORD, reset_binding(user), now, p.reset_ttl
        )
        link = p.link("reset-password", raw)
        await self._deliver(
            password_reset_email(user.email.value, link, p.reset_ttl, p.product), user
        )

    async def send_email_changed(self, user: User, old_address: str, now: datetime) -> None:
        """Tell the address the account left (no link: nothing to act on there)."""
        if not await self.budget.take(user.id, old_address, now):
            self._suppressed(user, "email_changed")
            return
        notice = email_changed_notice(old_address, user.email.value, self.policy.product)
        await self._deliver(notice, user)

    @staticmethod
    def _suppressed(user: User, kind: str) -> None:
        log.warning("email_suppressed", extra={"user_id": user.id, "email_kind": kind})

    async def _deliver(self, message: EmailMessage, user: User) -> None:
        try:
            await self._sender.send(message)
        except EmailDeliveryError:
            log.error(
                "email_delivery_failed", extra={"user_id": user.id, "subject": message.subject}
            )
