"""The links emailed to users, and the policy for asking for them."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from application.auth.one_time_tokens import OneTimeTokens
from application.emails import email_changed_notice, password_reset_email, verification_email
from application.ports.email_sender import EmailDeliveryError, EmailMessage, EmailSender
from application.ports.throttle_repository import ThrottleRepository
from domain.auth import ThrottlePolicy
from domain.errors import TooManyAttemptsError
from domain.one_time_tokens import TokenPurpose
from domain.users import User

log = logging.getLogger("auth.email")


PER_ADDRESS = ThrottlePolicy(3, timedelta(hours=1), timedelta(minutes=1))
PER_IP = ThrottlePolicy(20, timedelta(hours=1), timedelta(seconds=10))


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

    def link(self, page: str, token: str) -> str:
        return f"{self.base_url.rstrip('/')}/{page}#token={quote(token, safe='')}"


def reset_binding(user: User) -> str:
    """A reset link is valid for the password and the address it was sent with."""
    return f"{user.token_version}|{user.email.value}"


def address_key(prefix: str, email: str) -> str:
    """A throttle key for an address that does not store the address itself."""
    return f"{prefix}:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


async def check_link_request(
    throttles: ThrottleRepository,
    policy: EmailLinkPolicy,
    kind: str,
    email: str,
    ip: str,
    now: datetime,
) -> None:
    """Count one request for a link; `TooManyAttemptsError` past the free ones."""
    wait = await throttles.reserve_attempt(f"{kind}-ip:{ip}", now, policy.per_ip)
    wait = wait or await throttles.reserve_attempt(
        address_key(kind, email), now, policy.per_address
    )
    if wait:
        raise TooManyAttemptsError(wait)


class LinkMailer:
    """Issues a single-use token and emails its link.

    A delivery failure is logged, not raised: the account change that caused the email
    has happened, and the user can ask for another link.
    """

    def __init__(self, tokens: OneTimeTokens, sender: EmailSender, policy: EmailLinkPolicy) -> None:
        self._tokens = tokens
        self._sender = sender
        self.policy = policy

    async def send_verification(self, user: User, now: datetime) -> None:
        p = self.policy
        raw = await self._tokens.issue(
            user, TokenPurpose.VERIFY_EMAIL, user.email.value, now, p.verification_ttl
        )
        link = p.link("verify-email", raw)
        await self._deliver(
            verification_email(user.email.value, link, p.verification_ttl, p.product), user
        )

    async def send_reset(self, user: User, now: datetime) -> None:
        p = self.policy
        raw = await self._tokens.issue(
            user, TokenPurpose.RESET_PASSWORD, reset_binding(user), now, p.reset_ttl
        )
        link = p.link("reset-password", raw)
        await self._deliver(
            password_reset_email(user.email.value, link, p.reset_ttl, p.product), user
        )

    async def send_email_changed(self, user: User, old_address: str) -> None:
        """Tell the address the account left (no link: nothing to act on there)."""
        notice = email_changed_notice(old_address, user.email.value, self.policy.product)
        await self._deliver(notice, user)

    async def _deliver(self, message: EmailMessage, user: User) -> None:
        try:
            await self._sender.send(message)
        except EmailDeliveryError:
            log.error(
                "email_delivery_failed", extra={"user_id": user.id, "subject": message.subject}
            )
