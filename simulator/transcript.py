"""The console transcript of ``python -m simulator``: one line per message, each way.

So a person rehearsing automations sees, in the terminal, what their Home Assistant sent and
what the simulated people did, without opening the chat page.
"""

from __future__ import annotations

from collections.abc import Mapping
import json
from typing import Any

from .recording import Listener, SentMessage, WebhookPost
from .state import SimUser

MAX_LINE = 100
Users = Mapping[str, SimUser]


def _name(users: Users, psid: str | None) -> str:
    user = users.get(psid or "")
    return user.name if user is not None else str(psid)


def _describe_message(message: dict[str, Any]) -> str:
    """A one-line summary of a Send API message object."""
    text = message.get("text")
    attachment = message.get("attachment")
    if isinstance(attachment, dict):
        payload = attachment.get("payload") or {}
        if attachment.get("type") == "template" and isinstance(payload, dict):
            titles = [
                str(b.get("title")) for b in payload.get("buttons") or [] if isinstance(b, dict)
            ]
            text = f"{payload.get('text') or ''} [buttons: {' | '.join(titles)}]".strip()
        else:
            where = (
                payload.get("url") or payload.get("attachment_id")
                if isinstance(payload, dict)
                else None
            )
            text = f"[{attachment.get('type')}{' ' + str(where) if where else ''}]"
    replies = message.get("quick_replies")
    line = " ".join(str(text or "").split())
    if len(line) > MAX_LINE:
        line = line[: MAX_LINE - 3] + "..."
    if isinstance(replies, list):
        titles = [
            str(r.get("title") or r.get("content_type")) for r in replies if isinstance(r, dict)
        ]
        line += f" [quick replies: {' | '.join(titles)}]"
    return line


def _events(body: bytes) -> list[dict[str, Any]]:
    try:
        entries = json.loads(body).get("entry") or []
    except (ValueError, AttributeError):
        return []
    return [event for entry in entries for event in entry.get("messaging") or []]


def _describe_event(users: Users, event: dict[str, Any]) -> str | None:
    """A line for a person's message, tap or reaction (receipts and echoes: None)."""
    who = _name(users, str((event.get("sender") or {}).get("id")))
    message = event.get("message")
    if isinstance(message, dict) and not message.get("is_echo"):
        payload = (message.get("quick_reply") or {}).get("payload")
        tapped = f" (quick reply {payload})" if payload else ""
        said = message.get("text", "[attachment]")
        return f"{who} -> page: {said}{tapped}"
    if isinstance(event.get("postback"), dict):
        button = event["postback"]
        return f"{who} -> page: tapped {button.get('title')!r} (postback {button.get('payload')})"
    if isinstance(event.get("reaction"), dict):
        reaction = event["reaction"]
        return f"{who} -> page: {reaction.get('action')} {reaction.get('reaction')}"
    return None


def transcript(users: Users) -> Listener:
    """A recorder listener that prints each message and user action as one line.

    ``users`` (the simulator's people by PSID) names who wrote; it is read at each line.
    """

    def listener(kind: str, item: Any) -> None:
        if kind == "sent" and isinstance(item, SentMessage):
            who = _name(users, item.recipient_id or str(item.recipient.get("phone_number")))
            if item.message is not None:
                upload = item.files.get("filedata")
                extra = f" (uploaded {upload.filename}, {len(upload.data)} bytes)" if upload else ""
                print(f"page -> {who}: {_describe_message(item.message)}{extra}", flush=True)
        elif kind == "posting" and isinstance(item, bytes):
            for event in _events(item):
                line = _describe_event(users, event)
                if line:
                    print(line, flush=True)
        elif kind == "webhook" and isinstance(item, WebhookPost) and item.status != 200:
            answer = f"HTTP {item.status}: {item.text[:120]}" if item.status else item.text[:160]
            print(f"  !! the webhook did not take {item.events} event(s): {answer}", flush=True)

    return listener
