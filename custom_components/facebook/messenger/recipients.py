"""Who a call goes to: PSIDs, names from the address book, phone numbers, or BROADCAST.

Pure code: the check of `allowed_chat_ids` and the resolution of a call's `target` list, with
errors that name the bad item and say what the user most likely meant.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
import re

from .const import TARGET_BROADCAST
from .errors import TargetError
from .models import Broadcast, Target

# A PSID is 15 to 17 digits and never starts with 0 (every id Meta hands out).
PSID_RE = re.compile(r"^[1-9]\d{14,16}$")
DIGITS_RE = re.compile(r"^\d+$")
PHONE_RE = re.compile(r"^\+\d{6,15}$")
_PHONE_SEPARATORS = re.compile(r"[\s().-]")
PSID_RULE = "a PSID is 15 to 17 digits and never starts with 0"


class AddressBook:
    """The people allowed to trigger events, and the names that address them."""

    def __init__(self, mapping: Mapping[str, str | None]) -> None:
        """Take a PSID -> name (or None) mapping, as `parse_allowed_chat_ids` produces."""
        self.names: dict[str, str | None] = dict(mapping)
        self.by_name: dict[str, str] = {
            name.casefold(): psid for psid, name in mapping.items() if name
        }

    def __contains__(self, psid: object) -> bool:
        """Whether a PSID is allowed."""
        return psid in self.names

    def __iter__(self) -> Iterator[str]:
        """The allowed PSIDs."""
        return iter(self.names)

    def __len__(self) -> int:
        """How many people are allowed."""
        return len(self.names)

    def name_of(self, psid: str) -> str | None:
        """The configured name of a PSID, if it has one."""
        return self.names.get(psid)

    def person(self, psid: str, label: str | None = None) -> Target:
        """The target of one PSID, with its configured name; `label` is how a call named it."""
        return Target(label or psid, {"id": psid}, psid=psid, name=self.names.get(psid))

    def named(self) -> dict[str, str]:
        """Name -> PSID for every named person (for per-person notify services)."""
        return {name: psid for psid, name in self.names.items() if name}


def coerce_psid(value: object) -> str:
    """A PSID as a string; YAML may read it as an int (fine when the number is a whole PSID)."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError(f"{value!r} is not a PSID (a page-scoped ID is a string of digits)")
    text = str(value).strip()
    if PSID_RE.match(text):
        return text
    raise ValueError(not_a_psid(text, from_number=isinstance(value, int)))


def not_a_psid(text: str, *, from_number: bool = False) -> str:
    """Why `text` can't be a PSID, and what the user most likely meant."""
    if from_number:
        return (
            f"{text} is not a PSID ({PSID_RULE}): YAML read an unquoted ID as a number and "
            "changed it (0034643123212 becomes 3867977354); write the ID in quotes: "
            '"6543210987654321"'
        )
    if DIGITS_RE.match(text):
        return (
            f"{text!r} is not a PSID ({PSID_RULE}); a phone number needs a leading + and the "
            "country code (+34643123212); in YAML, quote IDs"
        )
    return f"{text!r} is not a PSID ({PSID_RULE})"


def parse_allowed_chat_ids(value: object) -> dict[str, str | None]:
    """Check `allowed_chat_ids`: a list of PSIDs, or a mapping name -> PSID."""
    if value is None:
        return {}
    if isinstance(value, str | int) and not isinstance(value, bool):
        value = [value]
    if isinstance(value, list):
        return {coerce_psid(item): None for item in value}
    if isinstance(value, dict):
        return _named_psids(value)
    raise ValueError("allowed_chat_ids must be a list of PSIDs or a mapping of name: PSID")


def _named_psids(value: dict[object, object]) -> dict[str, str | None]:
    result: dict[str, str | None] = {}
    seen: dict[str, str] = {}
    for raw_name, raw_psid in value.items():
        name = check_name(str(raw_name))
        key = name.casefold()
        if key in seen:
            raise ValueError(
                f"names in allowed_chat_ids are case-insensitive: {seen[key]!r} and "
                f"{name!r} are the same"
            )
        seen[key] = name
        psid = coerce_psid(raw_psid)
        if psid in result:
            raise ValueError(f"PSID {psid} appears twice in allowed_chat_ids")
        result[psid] = name
    return result


def check_name(raw: str) -> str:
    """A person's name that can't be mistaken for a PSID, a phone number or BROADCAST."""
    name = raw.strip()
    if not name:
        raise ValueError("a name in allowed_chat_ids is empty")
    if DIGITS_RE.match(name) or name.startswith("+") or name.upper() == TARGET_BROADCAST:
        raise ValueError(
            f"{name!r} can't be a name in allowed_chat_ids: it would read as a PSID, "
            "a phone number or BROADCAST"
        )
    return name


def resolve_targets(raw: list[str] | None, book: AddressBook) -> list[Target] | Broadcast:
    """Resolve a call's targets in order, one Target per distinct person; or BROADCAST alone."""
    if not raw:
        raise TargetError(
            "no target: give a PSID, a name from allowed_chat_ids, a +phone number or BROADCAST"
        )
    if any(_is_broadcast(item) for item in raw):
        if len(raw) > 1:
            raise TargetError("BROADCAST must be the only target of a call")
        return Broadcast()
    targets: list[Target] = []
    seen: set[tuple[str, str]] = set()
    for item in raw:
        target = _resolve_one(str(item), book)
        key = next(iter(target.recipient.items()))
        if key not in seen:
            seen.add(key)
            targets.append(target)
    return targets


def _is_broadcast(item: object) -> bool:
    return isinstance(item, str) and item.strip().upper() == TARGET_BROADCAST


def _resolve_one(item: str, book: AddressBook) -> Target:
    text = item.strip()
    if PSID_RE.match(text):
        return book.person(text)
    if DIGITS_RE.match(text):
        raise TargetError(f"target {not_a_psid(text)}")
    if text.startswith("+"):
        phone = _PHONE_SEPARATORS.sub("", text)
        if not PHONE_RE.match(phone):
            raise TargetError(f"target {item!r} is not a phone number (+ and 6 to 15 digits)")
        return Target(text, {"phone_number": phone})
    psid = book.by_name.get(text.casefold())
    if psid is None:
        known = ", ".join(sorted(book.by_name)) or "none configured"
        raise TargetError(
            f"unknown target {item!r}: not a PSID, a +phone number, BROADCAST, or a name from "
            f"allowed_chat_ids ({known})"
        )
    return book.person(psid, label=text)
