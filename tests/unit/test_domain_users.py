"""Users in the domain: the normalized email, display names, roles and the entity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.errors import FieldError, InvalidInputError
from domain.users import MAX_EMAIL_LENGTH, MAX_NAME_LENGTH, Email, Role, User, normalize_name

pytestmark = [pytest.mark.unit]

CREATED = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def a_user(**overrides: object) -> User:
    fields: dict[str, object] = {
        "id": "u1",
        "email": Email("ann@example.com"),
        "name": "Ann",
        "role": Role.USER,
        "password_hash": "plain$secret-password-value",
        "created_at": CREATED,
        "updated_at": CREATED,
    }
    fields.update(overrides)
    return User(**fields)  # type: ignore[arg-type]


def field_errors(exc: pytest.ExceptionInfo[InvalidInputError]) -> list[str]:
    return [error.field for error in exc.value.errors]


# Email


def test_an_email_is_trimmed_and_lowercased() -> None:
    assert Email("  Ann.Smith@Example.COM \n").value == "ann.smith@example.com"


def test_emails_differing_only_in_case_and_spaces_are_equal() -> None:
    assert Email("Ann@Example.com") == Email(" ann@example.com ")


def test_an_email_prints_as_its_normalized_value() -> None:
    assert str(Email("Ann@Example.com")) == "ann@example.com"


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "ann", "ann.example.com", "@example.com", "ann@", "ann@localhost"],
)
def test_an_email_without_local_part_at_sign_or_dotted_domain_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidInputError) as exc:
        Email(raw)
    assert exc.value.errors == [
        FieldError("email", "Enter a valid email address.", "email_invalid")
    ]


# The longest canonical address: a 64-character local part and a 189-character domain.
LONGEST = "a" * 64 + "@" + ".".join(["b" * 63, "c" * 63, "d" * 57, "com"])


def test_an_email_of_the_maximum_length_is_accepted() -> None:
    assert len(LONGEST) == MAX_EMAIL_LENGTH
    assert Email(LONGEST).value == LONGEST


def test_an_email_longer_than_the_maximum_is_rejected() -> None:
    with pytest.raises(InvalidInputError) as exc:
        Email("a" + LONGEST)
    assert field_errors(exc) == ["email"]


def test_the_length_limit_applies_after_trimming() -> None:
    assert Email("  " + LONGEST + "\n").value == LONGEST


def test_an_email_is_immutable() -> None:
    email = Email("ann@example.com")
    with pytest.raises(AttributeError):
        email.value = "bob@example.com"  # type: ignore[misc]


# Names


def test_a_name_is_trimmed() -> None:
    assert normalize_name("  Ann Smith \t") == "Ann Smith"


def test_a_name_is_nfc_normalized() -> None:
    assert normalize_name("Rene\u0301e") == "Ren\u00e9e"


def test_a_name_length_counts_code_points_after_nfc() -> None:
    decomposed = "e\u0301" * MAX_NAME_LENGTH  # 200 code points before NFC, 100 after
    assert normalize_name(decomposed) == "\u00e9" * MAX_NAME_LENGTH


@pytest.mark.parametrize("raw", ["", "   ", "\t\n"])
def test_an_empty_or_blank_name_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidInputError) as exc:
        normalize_name(raw)
    assert field_errors(exc) == ["name"]


def test_a_name_of_the_maximum_length_is_accepted() -> None:
    assert len(normalize_name("x" * MAX_NAME_LENGTH)) == MAX_NAME_LENGTH


def test_a_name_longer_than_the_maximum_is_rejected() -> None:
    with pytest.raises(InvalidInputError) as exc:
        normalize_name("x" * (MAX_NAME_LENGTH + 1))
    assert field_errors(exc) == ["name"]


@pytest.mark.parametrize("raw", ["Ann\x00Smith", "Ann\x1bSmith", "Ann\x7f", "Ann\u0085Smith"])
def test_a_name_with_control_characters_is_rejected(raw: str) -> None:
    with pytest.raises(InvalidInputError) as exc:
        normalize_name(raw)
    assert exc.value.errors == [FieldError("name", "The name contains control characters.")]


def test_a_name_may_contain_any_script_and_punctuation() -> None:
    assert normalize_name("Zoë O'Brien-Łukasz 山田") == "Zoë O'Brien-Łukasz 山田"


# Roles


def test_roles_are_the_strings_of_the_api() -> None:
    assert [role.value for role in Role] == ["user", "admin"]
    assert Role("admin") is Role.ADMIN


# The user entity


def test_only_an_admin_role_makes_a_user_an_admin() -> None:
    assert a_user(role=Role.ADMIN).is_admin
    assert not a_user(role=Role.USER).is_admin


def test_a_new_user_starts_at_version_one_and_token_version_one() -> None:
    user = a_user()
    assert (user.version, user.token_version) == (1, 1)


def test_a_change_bumps_the_version_and_sets_updated_at() -> None:
    user = a_user()
    later = CREATED + timedelta(minutes=5)

    changed = user.changed(later, name="Ann Smith")

    assert changed.name == "Ann Smith"
    assert changed.version == 2
    assert changed.updated_at == later
    assert changed.created_at == CREATED
    assert changed.token_version == 1
    assert (changed.id, changed.email, changed.role) == (user.id, user.email, user.role)


def test_a_change_leaves_the_original_untouched() -> None:
    user = a_user()
    user.changed(CREATED + timedelta(seconds=1), name="Other")
    assert (user.name, user.version, user.updated_at) == ("Ann", 1, CREATED)


def test_successive_changes_keep_counting_versions() -> None:
    user = a_user()
    later = CREATED + timedelta(seconds=1)
    assert user.changed(later).changed(later).changed(later).version == 4


def test_the_password_hash_never_appears_in_the_repr() -> None:
    user = a_user(password_hash="plain$do-not-print-me")
    assert "do-not-print-me" not in repr(user)
    assert "password_hash" not in repr(user)
