"""Reading back what people wrote while the webhook was deaf (Conversations API).

Meta keeps every conversation: its threads, newest first, with the time each was last updated,
and each thread's messages, newest first. It gives a message's details (text, attachments,
sender) only for the 20 most recent messages of a conversation, and limits the API's call rate
(2 calls a second per page: `CALLS_PER_SECOND`, UNCONFIRMED), so the reads are paced. Quick-reply
payloads and postbacks are not in this API: what comes back is text and attachments.
https://developers.facebook.com/documentation/business-messaging/messenger-platform/conversations
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, Final

from .accounts import paged_items
from .client import GraphClient
from .coerce import as_id, as_text
from .models import JSONDict, MessagingEvent, WebhookAttachment
from .pacing import Pacer
from .webhook import MAX_ATTACHMENTS, MAX_TEXT

CALLS_PER_SECOND: Final = 2
DETAILED: Final = 20  # Meta details only a conversation's 20 most recent messages
CONVERSATIONS_PAGE: Final = 25


def graph_time(value: object) -> float | None:
    """Epoch seconds of a Graph time (`2026-12-07T01:17:08+0000`), None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z").timestamp()
    except ValueError:
        return None


class ConversationReader:
    """One page's reads of its conversations, paced as Meta allows."""

    def __init__(self, client: GraphClient, page_id: str, pacer: Pacer | None = None) -> None:
        """Read as the page of `client` (`pacer`: a seam for tests)."""
        self._client = client
        self._page_id = page_id
        self._pacer = pacer or Pacer(CALLS_PER_SECOND)

    async def _turn(self) -> None:
        await self._pacer.acquire()

    async def written_since(self, since: float, people: Collection[str]) -> list[MessagingEvent]:
        """What `people` wrote to the page after `since` (epoch s), oldest first.

        Graph's times are whole seconds: messages of the second `since` falls in come back too
        (the caller recognises the ones it saw by their mid). Raises GraphError when Meta
        refuses a read (a permission the token lacks, say).
        """
        since = float(int(since))
        found: list[MessagingEvent] = []
        for thread in await self._threads_since(since):
            psid = _person_of(thread, self._page_id)
            if psid is not None and psid in people:
                found += await self._messages_since(str(thread["id"]), psid, since)
        return sorted(found, key=lambda event: event.timestamp)

    async def _threads_since(self, since: float) -> list[JSONDict]:
        """The page's Messenger threads updated after `since` (they come newest first)."""
        params = {
            "platform": "messenger",
            "fields": "id,updated_time,participants",
            "limit": str(CONVERSATIONS_PAGE),
        }
        path = f"/{self._page_id}/conversations"
        threads: list[JSONDict] = []
        async for thread in paged_items(self._client, path, params, before_each=self._turn):
            updated = graph_time(thread.get("updated_time"))
            if updated is None or updated < since:
                break
            if as_id(thread.get("id")):
                threads.append(thread)
        return threads

    async def _messages_since(self, thread: str, psid: str, since: float) -> list[MessagingEvent]:
        """The person's messages of one thread after `since` (its 20 most recent at most)."""
        params = {"fields": "id,created_time,from,message,attachments", "limit": str(DETAILED)}
        await self._turn()
        answer = await self._client.get(f"/{thread}/messages", params)
        events = []
        for item in _items(answer):
            written = graph_time(item.get("created_time"))
            sender = item.get("from")
            sender_id = as_id(sender.get("id")) if isinstance(sender, dict) else None
            mid = as_id(item.get("id"))
            if written is None or written < since or sender_id != psid or mid is None:
                continue
            events.append(
                MessagingEvent(
                    kind="message",
                    page_id=self._page_id,
                    sender_id=psid,
                    timestamp=int(written * 1000),
                    mid=mid,
                    text=as_text(item.get("message"), MAX_TEXT) or None,
                    attachments=_attachments(item.get("attachments")),
                    catch_up=True,
                )
            )
        events.reverse()  # they come newest first; Graph's times are whole seconds
        return events


def _items(answer: JSONDict) -> list[JSONDict]:
    data = answer.get("data")
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def _person_of(thread: JSONDict, page_id: str) -> str | None:
    """The person (not the page) of a one-to-one Messenger thread."""
    participants = thread.get("participants")
    data = participants.get("data") if isinstance(participants, dict) else None
    for participant in data if isinstance(data, list) else []:
        psid = as_id(participant.get("id")) if isinstance(participant, dict) else None
        if psid and psid != page_id:
            return psid
    return None


def _attachments(value: Any) -> tuple[WebhookAttachment, ...]:
    """A message's attachments as the webhook gives them: a type and a URL."""
    data = value.get("data") if isinstance(value, dict) else None
    found = []
    for item in (data if isinstance(data, list) else [])[:MAX_ATTACHMENTS]:
        if not isinstance(item, dict):
            continue
        image = item.get("image_data")
        url = image.get("url") if isinstance(image, dict) else item.get("file_url")
        mime = str(item.get("mime_type") or "")
        kind = "image" if isinstance(image, dict) else (mime.split("/")[0] or "file")
        if kind not in ("image", "audio", "video"):
            kind = "file"
        found.append(WebhookAttachment(kind, as_text(url, MAX_TEXT)))
    return tuple(found)
