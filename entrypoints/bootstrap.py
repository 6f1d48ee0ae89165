"""The composition root: settings in, wired use cases out. Nothing happens at import.

The adapters (the driven side) are built in `wiring.py`; this module wires the use
cases on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from application.audit.auditor import Auditor
from application.audit.list_events import AuditPage, ListAuditEvents, ListAuditEventsQuery
from application.auth.authenticate import Authenticate, Principal
from application.auth.email_links import (
    EmailLinkPolicy,
    LinkMailer,
    MailBudget,
    MailLimits,
    hourly,
)
from application.auth.one_time_tokens import OneTimeTokens
from application.auth.password_reset import (
    ConfirmPasswordReset,
    ConfirmPasswordResetCommand,
    RequestPasswordReset,
    RequestPasswordResetCommand,
)
from application.auth.refresh import Refresh, RefreshCommand
from application.auth.secret_checks import SecretChecks
from application.auth.sessions import SessionIssuer, SessionLifetimes, TokenPair
from application.auth.sign_in import (
    SignIn,
    SignInCommand,
    SignInResult,
    SignInRules,
    SignInThrottling,
)
from application.auth.sign_in_two_factor import CompleteTwoFactorSignIn, TwoFactorSignInCommand
from application.auth.sign_out import SignOut, SignOutCommand
from application.auth.sign_up import SignUp, SignUpCommand, SignUpResult
from application.auth.verify_email import (
    ResendVerification,
    ResendVerificationCommand,
    VerifyEmail,
    VerifyEmailCommand,
)
from application.sessions.ending import SessionEnding
from application.sessions.list_sessions import ListSessions, ListSessionsQuery
from application.sessions.revoke_other_sessions import (
    RevokeOtherSessions,
    RevokeOtherSessionsCommand,
)
from application.sessions.revoke_session import RevokeSession, RevokeSessionCommand
from application.tracing import Traced, UseCase
from application.two_factor.confirm import ConfirmTwoFactor, ConfirmTwoFactorCommand
from application.two_factor.disable import DisableTwoFactor, DisableTwoFactorCommand
from application.two_factor.enroll import EnrollTwoFactor, EnrollTwoFactorCommand, TotpEnrollment
from application.users.change_password import ChangePassword, ChangePasswordCommand
from application.users.create_user import CreateUser, CreateUserCommand, UserFactory
from application.users.delete_user import DeleteUser, DeleteUserCommand
from application.users.get_user import GetUser, GetUserQuery
from application.users.list_users import ListUsers, ListUsersQuery, UserPage
from application.users.update_user import UpdateUser, UpdateUserCommand
from domain.auth import PasswordPolicy, RefreshSession, ThrottlePolicy
from domain.users import User
from entrypoints.settings import Settings, SettingsError
from entrypoints.wiring import Adapters, build_adapters
from observability import catalog


@dataclass(frozen=True, slots=True)
class Services:
    """Everything the driving adapters (HTTP, CLI) need."""

    settings: Settings
    adapters: Adapters
    # Every use case comes wrapped in `Traced` (a span and an outcome metric per call).
    sign_up: UseCase[SignUpCommand, SignUpResult]
    sign_in: UseCase[SignInCommand, SignInResult]
    sign_in_two_factor: UseCase[TwoFactorSignInCommand, TokenPair]
    refresh: UseCase[RefreshCommand, TokenPair]
    sign_out: UseCase[SignOutCommand, None]
    authenticate: UseCase[str, Principal]
    verify_email: UseCase[VerifyEmailCommand, None]
    resend_verification: UseCase[ResendVerificationCommand, None]
    request_password_reset: UseCase[RequestPasswordResetCommand, None]
    confirm_password_reset: UseCase[ConfirmPasswordResetCommand, None]
    list_sessions: UseCase[ListSessionsQuery, list[RefreshSession]]
    revoke_session: UseCase[RevokeSessionCommand, None]
    revoke_other_sessions: UseCase[RevokeOtherSessionsCommand, None]
    enroll_two_factor: UseCase[EnrollTwoFactorCommand, TotpEnrollment]
    confirm_two_factor: UseCase[ConfirmTwoFactorCommand, list[str]]
    disable_two_factor: UseCase[DisableTwoFactorCommand, None]
    list_audit_events: UseCase[ListAuditEventsQuery, AuditPage]
    change_password: UseCase[ChangePasswordCommand, None]
    create_user: UseCase[CreateUserCommand, User]
    get_user: UseCase[GetUserQuery, User]
    list_users: UseCase[ListUsersQuery, UserPage]
    update_user: UseCase[UpdateUserCommand, User]
    delete_user: UseCase[DeleteUserCommand, None]
    user_factory: UserFactory

    async def close(self) -> None:
        """Release connections (the Mongo client); the process is about to end."""
        if self.adapters.mongo is not None:
            await self.adapters.mongo.close()


def build_services(settings: Settings, **overrides: Any) -> Services:
    a = build_adapters(settings, **overrides)
    try:
        policy = PasswordPolicy(
            min_length=settings.password_min_length,
            context_words=(settings.product_name, settings.service_name),
        )
    except ValueError as exc:
        raise SettingsError(f"PASSWORD_MIN_LENGTH: {exc}") from None
    lifetimes = SessionLifetimes(
        idle=timedelta(seconds=settings.refresh_idle_ttl_seconds),
        absolute=timedelta(seconds=settings.refresh_absolute_ttl_seconds),
        reuse_grace=timedelta(seconds=settings.refresh_reuse_grace_seconds),
    )
    window = timedelta(seconds=settings.sign_in_window_seconds)
    throttling = SignInThrottling(
        per_account=ThrottlePolicy(settings.sign_in_free_attempts_per_account, window),
        per_ip=ThrottlePolicy(settings.sign_in_free_attempts_per_ip, window),
    )
    issuer = SessionIssuer(a.sessions, a.tokens, a.ids, lifetimes, a.users)
    ending = SessionEnding(a.sessions, a.users, a.tokens, a.clock)
    factory = UserFactory(a.users, a.hasher, policy, a.blocklist, a.clock, a.ids)
    auditor = Auditor(a.audit, a.clock, a.ids)
    tokens = OneTimeTokens(a.one_time_tokens, a.ids)
    link_policy = _link_policy(settings)
    budget = MailBudget(a.throttles, a.pseudonyms, link_policy.mail_limits)
    mailer = LinkMailer(tokens, a.email, link_policy, budget)
    rules = SignInRules(
        require_verified_email=settings.require_verified_email,
        challenge_ttl=timedelta(seconds=settings.two_factor_challenge_ttl_seconds),
    )
    checks = SecretChecks(a.throttles, a.hasher, a.otp, auditor, a.clock)
    sign_ups = hourly(settings.sign_ups_per_client_per_hour)

    def traced(use_case: UseCase[Any, Any], name: str) -> Traced[Any, Any]:
        return Traced(use_case, name, a.tracer, a.metrics)

    c = catalog
    return Services(
        settings=settings,
        adapters=a,
        sign_up=traced(
            SignUp(
                factory,
                issuer,
                mailer,
                auditor,
                a.throttles,
                sign_ups,
                a.clock,
                settings.require_verified_email,
            ),
            c.SIGN_UP,
        ),
        sign_in=traced(
            SignIn(
                a.users,
                a.hasher,
                a.throttles,
                throttling,
                issuer,
                a.clock,
                tokens,
                auditor,
                a.pseudonyms,
                rules,
            ),
            c.SIGN_IN,
        ),
        sign_in_two_factor=traced(
            CompleteTwoFactorSignIn(a.users, tokens, a.otp, checks, issuer, a.clock, auditor),
            c.SIGN_IN_TWO_FACTOR,
        ),
        refresh=traced(Refresh(a.users, a.sessions, issuer, ending, a.clock, auditor), c.REFRESH),
        sign_out=traced(SignOut(a.sessions, ending), c.SIGN_OUT),
        authenticate=traced(Authenticate(a.users, a.tokens), c.AUTHENTICATE),
        verify_email=traced(VerifyEmail(a.users, tokens, a.clock, auditor), c.VERIFY_EMAIL),
        resend_verification=traced(
            ResendVerification(a.users, mailer, a.throttles, a.pseudonyms, a.clock),
            c.RESEND_VERIFICATION,
        ),
        request_password_reset=traced(
            RequestPasswordReset(a.users, mailer, a.throttles, a.pseudonyms, a.clock, auditor),
            c.REQUEST_PASSWORD_RESET,
        ),
        confirm_password_reset=traced(
            ConfirmPasswordReset(
                a.users,
                tokens,
                ending,
                a.throttles,
                a.pseudonyms,
                a.hasher,
                policy,
                a.blocklist,
                a.clock,
                auditor,
            ),
            c.CONFIRM_PASSWORD_RESET,
        ),
        list_sessions=traced(ListSessions(a.sessions, a.clock), c.LIST_SESSIONS),
        revoke_session=traced(RevokeSession(a.sessions, ending, auditor), c.REVOKE_SESSION),
        revoke_other_sessions=traced(
            RevokeOtherSessions(a.sessions, ending, a.clock, auditor), c.REVOKE_OTHER_SESSIONS
        ),
        enroll_two_factor=traced(
            EnrollTwoFactor(a.users, checks, a.otp, a.clock, settings.product_name),
            c.ENROLL_TWO_FACTOR,
        ),
        confirm_two_factor=traced(
            ConfirmTwoFactor(a.users, a.otp, checks, a.clock, auditor),
            c.CONFIRM_TWO_FACTOR,
        ),
        disable_two_factor=traced(
            DisableTwoFactor(a.users, checks, ending, a.clock, auditor),
            c.DISABLE_TWO_FACTOR,
        ),
        list_audit_events=traced(ListAuditEvents(a.audit), c.LIST_AUDIT_EVENTS),
        change_password=traced(
            ChangePassword(
                a.users, ending, checks, a.hasher, policy, a.blocklist, a.clock, auditor
            ),
            c.CHANGE_PASSWORD,
        ),
        create_user=traced(CreateUser(factory, mailer, auditor), c.CREATE_USER),
        get_user=traced(GetUser(a.users), c.GET_USER),
        list_users=traced(ListUsers(a.users), c.LIST_USERS),
        update_user=traced(
            UpdateUser(a.users, a.clock, mailer, auditor, checks, ending), c.UPDATE_USER
        ),
        delete_user=traced(DeleteUser(a.users, ending, checks, auditor), c.DELETE_USER),
        user_factory=factory,
    )


def _link_policy(settings: Settings) -> EmailLinkPolicy:
    return EmailLinkPolicy(
        base_url=settings.public_base_url,
        product=settings.product_name,
        verification_ttl=timedelta(seconds=settings.email_verification_ttl_seconds),
        reset_ttl=timedelta(seconds=settings.password_reset_ttl_seconds),
        min_response=timedelta(milliseconds=settings.email_link_min_response_ms),
        mail_limits=MailLimits(
            per_address=hourly(settings.emails_per_address_per_hour),
            per_account=hourly(settings.emails_per_account_per_hour),
        ),
    )
