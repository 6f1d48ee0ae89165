"""The password policy, after NIST SP 800-63B-4 (section 3.1.1.2).

Length is counted in Unicode code points after NFC normalization, with no composition
rules and no truncation. Beyond length, a new password is refused when it is:

- made only of whitespace, invisible (format, default-ignorable) or control characters,
  or contains control characters at all (they cannot be typed reliably);
- one character or a short group repeated, only two different characters, or runs of
  one character with little else;
- a run of consecutive letters or digits ("abcdefghijklmno", "987654321098765");
- the user's email, its local part, their name, the product or the service name, alone
  or with only digits and symbols around it (the "context" words);
- on the blocklist of common and breached passwords, or a trivial variation of an entry:
  case, width or spacing changed, digits or symbols added at the ends, letters swapped
  for look-alike symbols, repeated or reversed (see `password_text.cores`).

Each rule has its own message and a stable `code` (`PasswordRule`), so a client can say
which rule failed. Checks run on at most `max_length` code points and take well under a
millisecond.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Container
from dataclasses import dataclass

from domain.errors import FieldError, InvalidInputError
from domain.password_text import (
    alphanumeric,
    context_tokens,
    cores,
    fold,
    is_base,
    is_control,
    is_repetitive,
    is_sequence,
)

ABSOLUTE_MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128
# What is left of a password once its context words are removed: fewer letters than
# this and the password is its context words (plus digits and symbols).
MIN_LETTERS_BEYOND_CONTEXT = 3


class PasswordRule(enum.StrEnum):
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    CONTROL_CHARACTERS = "control_characters"
    INVISIBLE = "invisible"
    REPETITIVE = "repetitive"
    SEQUENCE = "sequence"
    CONTEXT = "context"
    COMMON = "common"
    COMMON_VARIANT = "common_variant"


MESSAGES = {
    PasswordRule.CONTROL_CHARACTERS: "Remove the control characters (such as tab or NUL): "
    "they cannot be typed reliably.",
    PasswordRule.INVISIBLE: "Use visible characters: this password is only spaces or "
    "invisible characters.",
    PasswordRule.REPETITIVE: "Avoid repeating one character or a short group of characters.",
    PasswordRule.SEQUENCE: "Avoid a run of consecutive letters or digits such as abcd or 1234.",
    PasswordRule.CONTEXT: "The password must not be your email, your name or the name of "
    "this service.",
    PasswordRule.COMMON: "This password is too common or known from data breaches; choose another.",
    PasswordRule.COMMON_VARIANT: "This is a common password with small changes (case, "
    "digits or symbols added, letters swapped); choose another.",
}


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """`context_words`: names every password of this service is checked against (the
    product and service names), besides each user's email and name."""

    min_length: int = 15
    max_length: int = MAX_PASSWORD_LENGTH
    context_words: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.min_length < ABSOLUTE_MIN_PASSWORD_LENGTH:
            raise ValueError(f"min_length must be at least {ABSOLUTE_MIN_PASSWORD_LENGTH}")
        if self.max_length < self.min_length:
            raise ValueError("max_length must not be below min_length")
        if self.max_length > MAX_PASSWORD_LENGTH:
            raise ValueError(f"max_length must not exceed {MAX_PASSWORD_LENGTH}")

    def check(
        self,
        password: str,
        *,
        email: str,
        name: str,
        blocklist: Container[str],
        field: str = "password",
    ) -> None:
        """Raise `InvalidInputError` naming `field` for the first rule the password breaks."""
        broken = self.broken_rule(password, email=email, name=name, blocklist=blocklist)
        if broken is not None:
            rule, message = broken
            raise InvalidInputError([FieldError(field, message, rule.value)])

    def broken_rule(
        self, password: str, *, email: str, name: str, blocklist: Container[str]
    ) -> tuple[PasswordRule, str] | None:
        normalized = unicodedata.normalize("NFC", password)
        if len(normalized) < self.min_length:
            return PasswordRule.TOO_SHORT, f"Use at least {self.min_length} characters."
        if len(normalized) > self.max_length:
            return PasswordRule.TOO_LONG, f"Use at most {self.max_length} characters."
        rule = _shape_rule(normalized)
        if rule is None and _is_context(normalized, (email, name, *self.context_words)):
            rule = PasswordRule.CONTEXT
        if rule is None:
            rule = _blocklist_rule(normalized, blocklist)
        return None if rule is None else (rule, MESSAGES[rule])


def _shape_rule(password: str) -> PasswordRule | None:
    if any(is_control(ch) for ch in password):
        return PasswordRule.CONTROL_CHARACTERS
    if not any(is_base(ch) for ch in password):
        return PasswordRule.INVISIBLE
    skeleton = fold(password)
    if is_repetitive(skeleton):
        return PasswordRule.REPETITIVE
    if is_sequence(skeleton):
        return PasswordRule.SEQUENCE
    return None


def _is_context(password: str, context: tuple[str, ...]) -> bool:
    words = sorted({w for value in context if value for w in context_tokens(value)}, key=len)
    remaining = core = alphanumeric(fold(password))
    for word in reversed(words):  # longest first: "annlovelace" before "ann"
        remaining = remaining.replace(word, "")
    if remaining == core:
        return False
    return sum(ch.isalpha() for ch in remaining) < MIN_LETTERS_BEYOND_CONTEXT


def _blocklist_rule(password: str, blocklist: Container[str]) -> PasswordRule | None:
    exact = fold(password)
    if exact in blocklist:
        return PasswordRule.COMMON
    if any(core in blocklist for core in cores(password) - {exact}):
        return PasswordRule.COMMON_VARIANT
    return None
