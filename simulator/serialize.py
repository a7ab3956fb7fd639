"""JSON views of the simulator's objects, for the control API and the chat page.

Tokens and app secrets never appear here: recorded tokens are redacted, pages show only whether
they have a secret.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from .recording import RecordedRequest, SentMessage, WebhookPost
from .state import WINDOW_SECONDS, RecordedFile, SimPage, SimTemplate, SimToken, SimUser

REDACTED = "<redacted>"


def file_json(file: RecordedFile) -> dict[str, Any]:
    """A file's metadata (not its bytes)."""
    return {"filename": file.filename, "content_type": file.content_type, "size": len(file.data)}


def page_json(page: SimPage) -> dict[str, Any]:
    """A page without its token or app secret."""
    data = asdict(page)
    del data["token"], data["app_secret"]
    data["has_app_secret"] = bool(page.app_secret)
    return data


def user_json(user: SimUser, now: float) -> dict[str, Any]:
    """A user, plus whether the 24-hour window is open right now and when it closes."""
    data = asdict(user)
    data["window_open"] = now - user.last_inbound <= WINDOW_SECONDS
    data["window_closes_at"] = user.last_inbound + WINDOW_SECONDS
    return data


def token_json(record: SimToken, status: str) -> dict[str, Any]:
    """A registered token without its value (the first characters only, to tell them apart)."""
    data = asdict(record)
    data["token"] = record.token[:8] + "..."
    data["source"] = None if record.source is None else record.source[:8] + "..."
    data["status"] = status
    return data


def template_json(template: SimTemplate) -> dict[str, Any]:
    """A utility template with its review status."""
    return asdict(template)


def sent_json(index: int, sent: SentMessage) -> dict[str, Any]:
    """An accepted send; ``index`` is its position for ``?since=`` polling."""
    return {
        "index": index,
        "page_id": sent.page_id,
        "recipient": sent.recipient,
        "recipient_id": sent.recipient_id,
        "message": sent.message,
        "sender_action": sent.sender_action,
        "messaging_type": sent.messaging_type,
        "tag": sent.tag,
        "notification_type": sent.notification_type,
        "message_id": sent.message_id,
        "attachment_id": sent.attachment_id,
        "files": {name: file_json(f) for name, f in sent.files.items()},
        "received_at": sent.received_at,
        "sent_at": sent.sent_at,
        "payload": sent.payload,
        "reply_to": sent.reply_to,
        "rendered": sent.rendered,
        "text": sent.text,
    }


def _redact(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (REDACTED if k == "access_token" else v) for k, v in values.items()}


def request_json(index: int, recorded: RecordedRequest) -> dict[str, Any]:
    """A recorded Graph request without its token (query, body and Authorization redacted)."""
    headers = {
        k: (REDACTED if k.lower() == "authorization" else v) for k, v in recorded.headers.items()
    }
    return {
        "index": index,
        "method": recorded.method,
        "path": recorded.path,
        "query": _redact(recorded.query),
        "headers": headers,
        "body": _redact(recorded.body),
        "files": {name: file_json(f) for name, f in recorded.files.items()},
        "token_source": recorded.token_source,
        "page_id": recorded.page_id,
        "status": recorded.status,
        "response": recorded.response,
        "received_at": recorded.received_at,
    }


def webhook_json(index: int, post: WebhookPost) -> dict[str, Any]:
    """A webhook post the simulator made (body as text)."""
    return {
        "index": index,
        "url": post.url,
        "body": post.body.decode("ascii", "replace"),
        "events": post.events,
        "status": post.status,
        "text": post.text,
        "posted_at": post.posted_at,
        "started_at": post.started_at,
        "skipped": post.skipped,
    }
