"""Resolving a call's targets and validating `allowed_chat_ids` (pure)."""

from __future__ import annotations

import re

import pytest

from custom_components.facebook.messenger.errors import TargetError
from custom_components.facebook.messenger.models import Broadcast
from custom_components.facebook.messenger.recipients import (
    AddressBook,
    coerce_psid,
    parse_allowed_chat_ids as allowed_chat_ids,
    resolve_targets,
)

ALICE = "6543210987654321"
BOB = "1234567890123456"
ALLOWED = AddressBook({ALICE: "Alice", BOB: None})


def test_allowed_chat_ids_list_and_mapping() -> None:
    assert allowed_chat_ids([6543210987654321, "1234567890123456"]) == {ALICE: None, BOB: None}
    assert allowed_chat_ids({"alice": 6543210987654321}) == {ALICE: "alice"}
    assert allowed_chat_ids(None) == {}
    assert allowed_chat_ids(6543210987654321) == {ALICE: None}


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (["12ab"], "not a PSID"),
        ([True], "not a PSID"),
        ({"alice": "x1"}, "not a PSID"),
        ({"Alice": ALICE, "ALICE": BOB}, "case-insensitive"),
        ({"alice": ALICE, "bob": ALICE}, "appears twice"),
        ({"12345": ALICE}, "would read as a PSID"),
        ({"+44": ALICE}, "would read as a PSID"),
        ({"broadcast": ALICE}, "would read as a PSID"),
        ({" ": ALICE}, "is empty"),
        (3.5, "must be a list of PSIDs or a mapping"),
        ([[1]], "not a PSID"),
    ],
)
def test_allowed_chat_ids_errors(value: object, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        allowed_chat_ids(value)


def test_coerce_psid() -> None:
    assert coerce_psid(f" {ALICE} ") == ALICE
    assert coerce_psid(int(ALICE)) == ALICE  # YAML read an unquoted PSID as a number: fine
    with pytest.raises(ValueError, match="not a PSID"):
        coerce_psid(None)


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        # `0034643123212` unquoted in YAML is octal: it arrives as 3867977354.
        (0o034643123212, "YAML read an unquoted ID as a number"),
        (12345, "write the ID in quotes"),
        ("0034643123212", "a phone number needs a leading +"),
        ("42", "15 to 17 digits and never starts with 0"),
        ("0654321098765432", "never starts with 0"),
        ("123456789012345678", "15 to 17 digits"),
    ],
)
def test_numbers_that_cannot_be_psids_say_what_to_do(value: object, hint: str) -> None:
    with pytest.raises(ValueError, match=re.escape(hint)):
        coerce_psid(value)
    with pytest.raises(ValueError, match=re.escape(hint)):
        allowed_chat_ids({"alice": value})


def test_resolve_names_psids_and_phones_in_order_without_duplicates() -> None:
    stranger = "1111222233334444"
    targets = resolve_targets(["ALICE", BOB, ALICE, "+1 (212) 555-2368", stranger], ALLOWED)
    assert [(t.label, t.recipient, t.name) for t in targets] == [
        ("ALICE", {"id": ALICE}, "Alice"),
        (BOB, {"id": BOB}, None),
        ("+1 (212) 555-2368", {"phone_number": "+12125552368"}, None),
        (stranger, {"id": stranger}, None),
    ]
    assert targets[0].describe() == f"Alice ({ALICE})"
    assert targets[2].is_phone
    assert targets[3].describe() == stranger


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (None, "no target"),
        ([], "no target"),
        (["carol"], "unknown target 'carol'"),
        (["+12"], "not a phone number"),
        (["3867977354"], "a phone number needs a leading +"),
        (["0034643123212"], "a phone number needs a leading +"),
        (["alice", "BROADCAST"], "BROADCAST must be the only target"),
    ],
)
def test_resolve_errors_name_the_target(raw: list[str] | None, problem: str) -> None:
    with pytest.raises(TargetError) as err:
        resolve_targets(raw, ALLOWED)
    assert problem in str(err.value)


def test_unknown_name_lists_known_names() -> None:
    with pytest.raises(TargetError, match=r"\(alice\)"):
        resolve_targets(["zed"], ALLOWED)
    with pytest.raises(TargetError, match="none configured"):
        resolve_targets(["zed"], AddressBook({}))


def test_broadcast_is_a_target_of_its_own() -> None:
    assert resolve_targets(["broadcast"], ALLOWED) == Broadcast()
    assert resolve_targets([" BROADCAST "], ALLOWED) == Broadcast()
    assert isinstance(resolve_targets(["alice"], ALLOWED), list)


def test_allowed_chats_lookup() -> None:
    assert ALICE in ALLOWED
    assert "1" not in ALLOWED
    assert list(ALLOWED) == [ALICE, BOB]
    assert len(ALLOWED) == 2
    assert ALLOWED.named() == {"Alice": ALICE}
    assert ALLOWED.by_name == {"alice": ALICE}
