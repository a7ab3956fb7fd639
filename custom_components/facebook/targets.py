"""Who a notify call goes to: PSIDs, names from `allowed_chat_ids`, phone numbers, BROADCAST.

Pure code: the YAML validator for `allowed_chat_ids` and the resolution of a call's `target`
list, with errors that name the bad item.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
import re

from .const import TARGET_BROADCAST

# A PSID is 15 to 17 digits and never starts with 0 (reference §1.4; every id Meta hands out).
PSID_RE = re.compile(r"^[1-9]\d{14,16}$")
DIGITS_RE = re.compile(r"^\d+$")
PHONE_RE = re.compile(r"^\+\d{6,15}$")
_PHONE_SEPARATORS = re.compile(r"[\s().-]")


class TargetError(ValueError):
    """A target that is not a PSID, a known name, a phone number or BROADCAST."""


@dataclass(slots=True)  # not frozen: made on every call, and frozen ones cost more to make
class Target:
    """One recipient of a call."""

    label: str  # as the call named it
    recipient: dict[str, str]  # the Send API `recipient` object
    psid: str | None = None
    name: str | None = None

    @property
    def is_phone(self) -> bool:
        """Sent by phone number (Customer Matching), not by PSID."""
        return "phone_number" in self.recipient

    def describe(self) -> str:
        """How error messages name this target: `alice (6543210987654321)`."""
        if self.name and self.psid:
            return f"{self.name} ({self.psid})"
        return self.label


class AllowedChats:
    """The people allowed to trigger events, and the names that address them."""

    def __init__(self, mapping: Mapping[str, str | None]) -> None:
        """Take a PSID -> name (or None) mapping, as the YAML validator produces."""
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
    rule = "a PSID is 15 to 17 digits and never starts with 0"
    if from_number:
        return (
            f"{text} is not a PSID ({rule}): YAML read an unquoted ID as a number and changed "
            'it (0034643123212 becomes 3867977354); write the ID in quotes: "6543210987654321"'
        )
    if DIGITS_RE.match(text):
        return (
            f"{text!r} is not a PSID ({rule}); a phone number needs a leading + and the "
            "country code (+34643123212); in YAML, quote IDs"
        )
    return f"{text!r} is not a PSID ({rule})"


def allowed_chat_ids(value: object) -> dict[str, str | None]:
    """Validate `allowed_chat_ids`: a list of PSIDs, or a mapping name -> PSID."""
    if value is None:
        return {}
    if isinstance(value, str | int) and not isinstance(value, bool):
        value = [value]
    if isinstance(value, list):
        return {coerce_psid(item): None for item in value}
    if isinstance(value, dict):
        result: dict[str, str | None] = {}
        seen: dict[str, str] = {}
        for raw_name, raw_psid in value.items():
            name = str(raw_name).strip()
            if not name:
                raise ValueError("a name in allowed_chat_ids is empty")
            if DIGITS_RE.match(name) or name.startswith("+") or name.upper() == TARGET_BROADCAST:
                raise ValueError(
                    f"{name!r} can't be a name in allowed_chat_ids: it would read as a PSID, "
                    "a phone number or BROADCAST"
                )
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
    raise ValueError("allowed_chat_ids must be a list of PSIDs or a mapping of name: PSID")


def is_broadcast(targets: list[str] | None) -> bool:
    """Whether a call addresses BROADCAST (alone or not: resolve_targets checks that)."""
    return bool(targets) and any(
        isinstance(t, str) and t.strip().upper() == TARGET_BROADCAST for t in targets or ()
    )


def resolve_targets(raw: list[str] | None, allowed: AllowedChats) -> list[Target]:
    """Resolve a call's targets in order, one Target per distinct person."""
    if not raw:
        raise TargetError(
            "no target: give a PSID, a name from allowed_chat_ids, a +phone number or BROADCAST"
        )
    targets: list[Target] = []
    seen: set[tuple[str, str]] = set()
    for item in raw:
        target = _resolve_one(str(item), allowed)
        key = next(iter(target.recipient.items()))
        if key not in seen:
            seen.add(key)
            targets.append(target)
    return targets


def _resolve_one(item: str, allowed: AllowedChats) -> Target:
    text = item.strip()
    if text.upper() == TARGET_BROADCAST:
        raise TargetError("BROADCAST must be the only target of a call")
    if PSID_RE.match(text):
        return allowed.person(text)
    if DIGITS_RE.match(text):
        raise TargetError(f"target {not_a_psid(text)}")
    if text.startswith("+"):
        phone = _PHONE_SEPARATORS.sub("", text)
        if not PHONE_RE.match(phone):
            raise TargetError(f"target {item!r} is not a phone number (+ and 6 to 15 digits)")
        return Target(text, {"phone_number": phone})
    psid = allowed.by_name.get(text.casefold())
    if psid is None:
        known = ", ".join(sorted(allowed.by_name)) or "none configured"
        raise TargetError(
            f"unknown target {item!r}: not a PSID, a +phone number, BROADCAST, or a name from "
            f"allowed_chat_ids ({known})"
        )
    return allowed.person(psid, label=text)
