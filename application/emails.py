"""The transactional emails: a verification link, a password-reset link, and the notice
to an address that an account left it.

Plain functions returning `EmailMessage`, so the use cases stay free of markup and any
`EmailSender` can deliver them. Every value put into the HTML is escaped, even the ones
the application built itself: the address comes from a sign-up form, and one missed
escape in an email is a phishing vector. The only secret in a message is the link.
"""

from __future__ import annotations

import html
from datetime import timedelta

from application.ports.email_sender import EmailMessage


def humanize_duration(duration: timedelta) -> str:
    """'1 hour', '24 hours', '30 minutes', '1 hour 30 minutes' (whole minutes, rounded down).

    Rounding down never promises more time than the token really has.
    """
    minutes = int(duration.total_seconds() // 60)
    if minutes < 1:
        raise ValueError("a link must stay valid for at least one minute")
    hours, minutes = divmod(minutes, 60)
    parts = [_plural(hours, "hour"), _plural(minutes, "minute")]
    return " ".join(part for part in parts if part)


def verification_email(to: str, link: str, valid_for: timedelta, product: str) -> EmailMessage:
    return _message(
        to=to,
        subject=f"Confirm your email address for {product}",
        intro=f"Please confirm that {to} is your email address for {product}.",
        action="Confirm my email address",
        link=link,
        valid_for=valid_for,
        disclaimer=f"If you did not create an account with {product}, ignore this email.",
    )


def password_reset_email(to: str, link: str, valid_for: timedelta, product: str) -> EmailMessage:
    return _message(
        to=to,
        subject=f"Reset your {product} password",
        intro=f"We received a request to reset the password of the {product} account {to}.",
        action="Choose a new password",
        link=link,
        valid_for=valid_for,
        disclaimer=(
            "If you did not ask for this, ignore this email: your password stays unchanged."
        ),
    )


def email_changed_notice(to: str, new_address: str, product: str) -> EmailMessage:
    """Sent to the old address: whoever changed it may not have been its owner."""
    subject = f"The email address of your {product} account was changed"
    intro = f"The {product} account {to} now uses the address {new_address}."
    warning = (
        "If you did not make this change, someone else may have access to your account: "
        "contact your administrator."
    )
    text = f"Hello,\n\n{intro}\n\n{warning}\n"
    e = html.escape
    body = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{e(subject)}</title></head>
<body style="font-family: Arial, sans-serif; line-height: 1.5; color: #222222;">
<p>Hello,</p>
<p>{e(intro)}</p>
<p>{e(warning)}</p>
</body>
</html>
"""
    return EmailMessage(to=to, subject=subject, text=text, html=body)


def _message(
    *,
    to: str,
    subject: str,
    intro: str,
    action: str,
    link: str,
    valid_for: timedelta,
    disclaimer: str,
) -> EmailMessage:
    # Escaping cannot make a `javascript:` URL safe in an href, so refuse anything else.
    if not link.startswith(("https://", "http://")):
        raise ValueError("email links must be http(s) URLs")
    validity = f"The link is valid for {humanize_duration(valid_for)}."
    text = f"Hello,\n\n{intro}\n\n{action}:\n\n{link}\n\n{validity}\n\n{disclaimer}\n"
    e = html.escape  # quote=True by default: safe inside attribute values too
    body = f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{e(subject)}</title></head>
<body style="font-family: Arial, sans-serif; line-height: 1.5; color: #222222;">
<p>Hello,</p>
<p>{e(intro)}</p>
<p><a href="{e(link)}" style="display: inline-block; padding: 10px 16px; background: #1a56db; \
color: #ffffff; text-decoration: none; border-radius: 4px;">{e(action)}</a></p>
<p>Or open this link in your browser:<br><a href="{e(link)}">{e(link)}</a></p>
<p>{e(validity)}</p>
<p style="color: #666666;">{e(disclaimer)}</p>
</body>
</html>
"""
    return EmailMessage(to=to, subject=subject, text=text, html=body)


def _plural(count: int, unit: str) -> str:
    if count == 0:
        return ""
    return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
