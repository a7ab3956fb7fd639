"""The outbox queue: messages a transient failure kept from Meta, in order, bounded.

The data structure only: what waits, for whom, since when, and when to give up. Storing it and
retrying it is the caller's business (`to_json` / `load` give the stored form).

The Send API has no idempotency key: if Meta accepted a message but its answer was lost, a retry
delivers it a second time (at least once). A failure before Meta accepted the message is retried
without duplicates (exactly once).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
import itertools
import logging
from typing import Any, Final

from .errors import MessengerError
from .models import JSONDict, OutgoingMessage, SendOptions, Target, Upload

_LOGGER = logging.getLogger(__name__)

MAX_MESSAGES: Final = 1000
MAX_FILE_BYTES: Final = 25 * 1024 * 1024
REASON_EXPIRED: Final = "expired"
REASON_WINDOW: Final = "window_closed"

# (psid, tag) -> whether that person's window for such a message is known to be closed.
type WindowClosed = Callable[[str, str | None], bool]
# Who an entry is for, as a key (the Send API recipient object, sorted).
type PersonKey = tuple[tuple[str, str], ...]


def person_key(target: Target) -> PersonKey:
    """The key of a target's waiting messages (one queue per person inside the outbox)."""
    return tuple(sorted(target.recipient.items()))


class OutboxFull(MessengerError):
    """The outbox is at its size cap; the message can't be kept for later."""

    key = "outbox_full"


@dataclass(slots=True)
class OutboxEntry:
    """The waiting messages of one person from one call, in order."""

    id: int
    target: Target
    options: SendOptions
    messages: list[OutgoingMessage]
    created: datetime
    attempts: int = 0
    last_error: str | None = None
    # The stored form, made once and again only after a change: the whole queue is written on
    # every change, and must not cost every entry's encoding each time.
    _stored: JSONDict | None = field(default=None, repr=False, compare=False)

    def pop_sent(self) -> None:
        """Meta accepted the first message: it waits no more."""
        self.messages.pop(0)
        self._stored = None

    def note_failure(self, error: str) -> None:
        """One more try failed."""
        self.attempts += 1
        self.last_error = error
        self._stored = None

    @property
    def file_bytes(self) -> int:
        """Bytes of files this entry holds."""
        return sum(len(m.upload.data) for m in self.messages if m.upload is not None)

    def to_json(self) -> JSONDict:
        """The stored form (files as base64)."""
        if self._stored is None:
            self._stored = self._encode()
        return self._stored

    def _encode(self) -> JSONDict:
        target = self.target
        return {
            "id": self.id,
            "target": {
                "label": target.label,
                "recipient": target.recipient,
                "psid": target.psid,
                "name": target.name,
            },
            "options": {
                "messaging_type": self.options.messaging_type,
                "tag": self.options.tag,
                "notification_type": self.options.notification_type,
            },
            "parts": [_message_to_json(m) for m in self.messages],
            "created": self.created.isoformat(),
            "attempts": self.attempts,
            "last_error": self.last_error,
        }

    @classmethod
    def from_json(cls, data: JSONDict) -> OutboxEntry:
        """Read a stored entry (raises KeyError/ValueError/TypeError/AttributeError on damage)."""
        target, options = data["target"], data["options"]
        created = datetime.fromisoformat(data["created"])
        if created.tzinfo is None:
            raise ValueError("a stored time without a time zone")
        return cls(
            id=int(data["id"]),
            target=Target(
                str(target["label"]),
                {str(k): str(v) for k, v in target["recipient"].items()},
                psid=target.get("psid"),
                name=target.get("name"),
            ),
            options=SendOptions(
                str(options["messaging_type"]), options.get("tag"), options.get("notification_type")
            ),
            messages=[_message_from_json(part) for part in data["parts"]],
            created=created,
            attempts=int(data.get("attempts", 0)),
            last_error=data.get("last_error"),
        )


def _message_to_json(outgoing: OutgoingMessage) -> JSONDict:
    upload = None
    if outgoing.upload is not None:
        upload = {
            "filename": outgoing.upload.filename,
            "content_type": outgoing.upload.content_type,
            "data": base64.b64encode(outgoing.upload.data).decode(),
        }
    return {
        "message": outgoing.message,
        "sender_action": outgoing.sender_action,
        "media_kind": outgoing.media_kind,
        "upload": upload,
        "action_payload": outgoing.action_payload,
        "reply_to": outgoing.reply_to,
    }


def _message_from_json(data: JSONDict) -> OutgoingMessage:
    upload = data.get("upload")
    return OutgoingMessage(
        message=data.get("message"),
        sender_action=data.get("sender_action"),
        media_kind=data.get("media_kind"),
        action_payload=data.get("action_payload"),
        reply_to=data.get("reply_to"),
        upload=Upload(
            data=base64.b64decode(upload["data"]),
            filename=str(upload["filename"]),
            content_type=str(upload["content_type"]),
        )
        if upload
        else None,
    )


class OutboxQueue:
    """The waiting messages of one page, oldest first; bounded in messages and file bytes."""

    def __init__(
        self,
        ttl: timedelta,
        *,
        max_messages: int = MAX_MESSAGES,
        max_file_bytes: int = MAX_FILE_BYTES,
    ) -> None:
        """An empty queue whose messages live at most `ttl`."""
        self.ttl = ttl
        self.max_messages = max_messages
        self.max_file_bytes = max_file_bytes
        self.entries: list[OutboxEntry] = []
        self._ids = itertools.count(1)

    def __len__(self) -> int:
        """How many messages wait."""
        return sum(len(entry.messages) for entry in self.entries)

    def has_pending(self, target: Target) -> bool:
        """Whether messages to this person wait (new ones must queue behind them)."""
        return self.head_of(person_key(target)) is not None

    def add(
        self,
        target: Target,
        messages: list[OutgoingMessage],
        options: SendOptions,
        reason: str,
        now: datetime,
    ) -> OutboxEntry:
        """Keep `messages` for `target`; raises OutboxFull past the caps."""
        entry = OutboxEntry(next(self._ids), target, options, list(messages), now, 0, reason)
        if len(self) + len(entry.messages) > self.max_messages:
            raise OutboxFull(
                f"the outbox holds {len(self)} messages (the cap is {self.max_messages})"
            )
        held = sum(e.file_bytes for e in self.entries)
        if held + entry.file_bytes > self.max_file_bytes:
            raise OutboxFull(f"the outbox holds {held // (1024 * 1024)} MB of files already")
        self.entries.append(entry)
        return entry

    def heads(self) -> list[OutboxEntry]:
        """The oldest entry of every person, oldest first (each person's order kept)."""
        firsts: dict[PersonKey, OutboxEntry] = {}
        for entry in self.entries:
            firsts.setdefault(person_key(entry.target), entry)
        return list(firsts.values())

    def head_of(self, key: PersonKey) -> OutboxEntry | None:
        """The oldest entry of one person."""
        return next((e for e in self.entries if person_key(e.target) == key), None)

    def remove(self, entry: OutboxEntry) -> None:
        """Forget an entry (delivered, or given up on)."""
        self.entries.remove(entry)

    def give_up_reason(
        self, entry: OutboxEntry, now: datetime, window_closed: WindowClosed
    ) -> str | None:
        """Why an entry is not worth another try, if it is not."""
        if entry.created + self.ttl <= now:
            return REASON_EXPIRED
        psid = entry.target.psid
        if psid is not None and window_closed(psid, entry.options.tag):
            return REASON_WINDOW
        return None

    def to_json(self) -> JSONDict:
        """The stored form."""
        return {"entries": [entry.to_json() for entry in self.entries]}

    def load(self, stored: Any) -> int:
        """Take the entries of a stored form; returns how many damaged ones were dropped."""
        damaged = 0
        for item in stored if isinstance(stored, list) else []:
            try:
                self.entries.append(OutboxEntry.from_json(item))
            except (KeyError, ValueError, TypeError, AttributeError) as err:
                damaged += 1
                _LOGGER.warning("A damaged outbox entry was dropped: %s", type(err).__name__)
        if self.entries:
            self._ids = itertools.count(max(entry.id for entry in self.entries) + 1)
        return damaged
