"""One identity rule for emails (`domain.users.Email`, `adapters.identity`): the
canonical form, its idempotence, look-alikes, and the forms older versions stored."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from adapters.identity import canonical_email, legacy_forms, lookup_email
from domain.errors import InvalidInputError
from domain.users import Email, LegacyEmail, email_key, stored_email
from tests.text import cyrillic, fullwidth

pytestmark = pytest.mark.unit


def canonical_or_code(raw: str) -> str:
    try:
        return canonical_email(raw)
    except InvalidInputError as exc:
        errors = exc.errors
    (error,) = errors
    assert error.field == "email"
    assert error.message
    return f"refused:{error.code}"


# --- the canonical form -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Ann@Example.COM", "ann@example.com"),
        ("  ann@example.com\t\n", "ann@example.com"),
        (fullwidth("ann@example.com"), "ann@example.com"),  # fullwidth, at sign included
        ("ann@" + fullwidth("EXAMPLE") + ".com", "ann@example.com"),
        ("ann@exämple.com", "ann@xn--exmple-cua.com"),
        ("ann@exa\u0308mple.com", "ann@xn--exmple-cua.com"),  # decomposed umlaut
        ("ANN@EXÄMPLE.COM", "ann@xn--exmple-cua.com"),
        ("ann@xn--EXMPLE-cua.com", "ann@xn--exmple-cua.com"),
        ("ann@faß.de", "ann@xn--fa-hia.de"),  # IDNA 2008 keeps the sharp s
        ("ann@\ufb01le.com", "ann@file.com"),  # the "fi" ligature
        ("a.nn+news@gmail.com", "a.nn+news@gmail.com"),  # no provider-specific rewriting
    ],
)
def test_variants_of_one_address_have_one_canonical_form(raw: str, canonical: str) -> None:
    assert canonical_email(raw) == canonical
    assert lookup_email(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    [
        "josé@example.com",
        "jose\u0301@example.com",  # a combining accent
        cyrillic("ace") + "@example.com",  # Cyrillic look-alike letters only
        "j" + cyrillic("o") + "hn@example.com",  # mixed scripts
        "\u0391nn@example.com",  # a Greek capital alpha
        "ann\u200b@example.com",  # a zero-width space
        "用户@example.com",
    ],
)
def test_an_internationalized_local_part_is_refused_with_a_clear_message(raw: str) -> None:
    with pytest.raises(InvalidInputError) as exc:
        canonical_email(raw)
    (error,) = exc.value.errors
    assert error.code == "email_internationalized"
    assert "internationalized addresses are not supported" in error.message


@pytest.mark.parametrize(
    "raw", ["", "ann", "ann@", "@example.com", "ann@localhost", "ann@@example.com", '"a b"@x.com']
)
def test_a_malformed_address_is_refused_as_invalid(raw: str) -> None:
    assert canonical_or_code(raw) == "refused:email_invalid"


def test_the_error_names_the_field_it_was_asked_to() -> None:
    with pytest.raises(InvalidInputError) as exc:
        canonical_email("nope", field="new_email")
    assert [e.field for e in exc.value.errors] == ["new_email"]


ADDRESSES = st.one_of(
    st.text(max_size=40),
    st.builds(
        lambda local, domain: f"{local}@{domain}",
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=20),
        st.sampled_from(
            [
                "example.com",
                "EXÄMPLE.com",
                "xn--exmple-cua.com",
                "faß.de",
                "bücher.de",
                fullwidth("example") + ".com",
                "例え.jp",
                "exa\u0308mple.com",
                "localhost",
            ]
        ),
    ),
    st.emails().map(str),
)


@settings(max_examples=400, deadline=None)
@given(ADDRESSES)
@example(fullwidth("Ann@Example.com"))
@example(" Ann@EXÄMPLE.com ")
def test_normalization_is_idempotent_ascii_and_agrees_with_the_domain(raw: str) -> None:
    try:
        canonical = canonical_email(raw)
    except InvalidInputError:
        return
    assert canonical_email(canonical) == canonical
    assert canonical.isascii()
    assert canonical == canonical.lower()
    assert Email(canonical).value == canonical
    assert lookup_email(raw) == canonical
    assert lookup_email(canonical) == canonical


@settings(max_examples=300, deadline=None)
@given(ADDRESSES)
def test_a_lookup_never_raises(raw: str) -> None:
    assert isinstance(lookup_email(raw), str)


# --- what the domain accepts --------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["josé@example.com", "ann@exämple.com", "ann@example.com.", "a..b@example.com"]
)
def test_the_domain_refuses_any_non_canonical_address(value: str) -> None:
    with pytest.raises(InvalidInputError):
        Email(value)


def test_addresses_of_older_versions_are_kept_as_legacy_emails() -> None:
    assert stored_email("ann@example.com") == Email("ann@example.com")
    legacy = stored_email("josé@exämple.com")
    assert isinstance(legacy, LegacyEmail)
    assert legacy.value == "josé@exämple.com"
    assert legacy != Email("jose@xn--exmple-cua.com")


def test_an_account_is_looked_up_by_canonical_or_legacy_key_or_not_at_all() -> None:
    assert email_key("ann@example.com") == Email("ann@example.com")
    assert isinstance(email_key("josé@example.com"), LegacyEmail)
    assert email_key("not an address") is None
    assert email_key("") is None


def test_an_older_internationalized_address_is_looked_up_in_its_older_form() -> None:
    # NFC, lowercased, as the versions before the rule stored it.
    assert lookup_email("Jose\u0301@Exämple.com") == "josé@exämple.com"


def test_the_older_form_of_an_idn_address_is_its_unicode_domain() -> None:
    assert legacy_forms("ann@xn--exmple-cua.com") == ["ann@exämple.com"]
    assert legacy_forms("ann@example.com") == []
    assert legacy_forms("ann@xn--invalid-.com") == []
