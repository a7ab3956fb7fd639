"""The Send API (``/messages``) and the Attachment Upload API (``/message_attachments``).

Validation of the request itself lives in :mod:`.validation`; what needs the world (who the
recipient is, the 24-hour window, saved attachment ids, file bytes, the rate cap) happens here,
in the order Meta applies it (``FIDELITY.md`` F-24).
"""

from __future__ import annotations

import secrets
from typing import Any

from . import templates
from .bodies import FILE_FIELD
from .errors import fail
from .graph_request import Answer, Context
from .recording import SentMessage
from .state import WINDOW_SECONDS, Attachment, MessageRef, RecordedFile, SimPage, SimUser
from .validation import (
    LEGACY_TAGS,
    LIVE_TAGS,
    MEDIA_TYPES,
    RETIRED_TAGS,
    SendRequest,
    blank,
    validate_send,
    validate_upload,
)


def new_message_id() -> str:
    """A message id shaped like Meta's current ``m_...`` ids."""
    return "m_" + secrets.token_urlsafe(48)


IMAGE_URL_LIMIT = 8 * 1024 * 1024  # images fetched from a URL: 8 MB (FIDELITY.md F-15)


def _check_url_size(ctx: Context, kind: str, url: Any) -> None:
    """A file Meta fetches from a URL: images up to 8 MB, other media as uploads (F-15).

    The simulator fetches nothing: tests tell it a URL's size (``Simulator.set_remote_size``).
    """
    size = ctx.world.state.remote_sizes.get(str(url))
    if size is None:
        return
    limit = IMAGE_URL_LIMIT if kind == "image" else ctx.config.max_attachment_bytes
    if size > limit:
        raise fail("attachment_size")  # FIDELITY F-15 (UNCONFIRMED subcode)


def _check_file(ctx: Context, kind: str, file: RecordedFile) -> None:
    if len(file.data) > ctx.config.max_attachment_bytes:
        raise fail("attachment_size")
    content_type = (file.content_type or "").lower()
    if kind != "file" and not content_type.startswith(kind + "/"):
        raise fail("media_mismatch")


def _save_attachment(
    ctx: Context, kind: str, url: Any, file: RecordedFile | None, *, reusable: bool
) -> str:
    state = ctx.world.state
    attachment_id = str(secrets.randbelow(9 * 10**15) + 10**15)
    state.attachments[attachment_id] = Attachment(
        attachment_id=attachment_id,
        page_id=ctx.page.page_id,
        type=kind,
        url=str(url) if not blank(url) else None,
        file=file,
        reusable=reusable,
        created_at=state.now(),
    )
    return attachment_id


def _check_reachable(user: SimUser, page: SimPage) -> None:
    if user.blocked:
        raise fail("blocked")
    if page.dev_mode and not user.has_role:
        raise fail("dev_mode")


def _recipient(ctx: Context, request: SendRequest) -> tuple[SimUser, str | None]:
    """The person addressed and the ``recipient_id`` to answer with."""
    recipient, page, state = request.recipient, ctx.page, ctx.world.state
    if not blank(recipient.get("id")):
        psid = str(recipient["id"])
        user = state.users.get(psid)
        if user is None or user.page_id != page.page_id:
            raise fail("no_user")
        _check_reachable(user, page)
        return user, psid
    phone = recipient.get("phone_number")
    if not blank(phone):
        if not page.phone_matching:
            raise fail("phone_gated")
        found = state.user_by_phone(page.page_id, str(phone))
        if found is None:
            raise fail("no_user")
        _check_reachable(found, page)
        return found, None
    # user_ref, comment_id, post_id and notification tokens name nobody the simulator knows.
    raise fail("no_user")


def _check_tag(ctx: Context, tag: str | None) -> None:
    """Retired tags get 100 (F-08); HUMAN_AGENT needs an approved app (F-09)."""
    if tag in RETIRED_TAGS or tag in LEGACY_TAGS:
        raise fail("tag_retired")
    if tag == "HUMAN_AGENT" and not ctx.page.human_agent_approved:
        raise fail("tag_human_agent")


def _check_window(ctx: Context, request: SendRequest, user: SimUser) -> None:
    """The 24-hour window and message tags (FIDELITY F-24, F-07 to F-09, F-14)."""
    _check_tag(ctx, request.tag)
    if request.messaging_type == "UTILITY":
        return  # approved utility templates may go out of the window (FIDELITY F-32, UNCONFIRMED)
    elapsed = ctx.world.now() - user.last_inbound
    allowed = WINDOW_SECONDS
    if request.messaging_type == "MESSAGE_TAG" and request.tag in LIVE_TAGS:
        allowed = LIVE_TAGS[request.tag]
    if elapsed > allowed:
        raise fail("window" if ctx.config.window_error == "2018278" else "window_1545041")


def _media(ctx: Context, request: SendRequest, file: RecordedFile | None) -> dict[str, Any] | None:
    """The media payload after its file and reused attachment id were checked (None: no media)."""
    attachment = request.attachment
    kind = str(attachment.get("type", "")).lower() if attachment else None
    if attachment is None or kind not in MEDIA_TYPES:
        return None
    payload: dict[str, Any] = attachment["payload"]
    if file is not None:
        _check_file(ctx, kind, file)
    if not blank(payload.get("url")):
        _check_url_size(ctx, kind, payload["url"])
    reused = payload.get("attachment_id")
    if not blank(reused) and ctx.world.state.attachment_for(str(reused), ctx.page.page_id) is None:
        raise fail("attachment_id")
    return payload


def _check_album(ctx: Context, request: SendRequest) -> None:
    """Several pictures: saved ids must be this page's; whether Meta takes ids there at all is
    UNCONFIRMED (``SimConfig.album_attachment_ids``, FIDELITY F-46)."""
    for item in request.album:
        payload = item.get("payload") or {}
        reused = payload.get("attachment_id") if isinstance(payload, dict) else None
        if blank(reused):
            if isinstance(payload, dict) and not blank(payload.get("url")):
                _check_url_size(ctx, "image", payload["url"])
            continue
        if not ctx.config.album_attachment_ids:
            raise fail("album_attachment_id")  # FIDELITY F-46 (UNCONFIRMED)
        if ctx.world.state.attachment_for(str(reused), ctx.page.page_id) is None:
            raise fail("attachment_id")


def grid_urls(params: dict[str, Any]) -> list[str]:
    """The picture URLs of an image grid in a Send API request (none for other messages)."""
    message = params.get("message")
    attachment = message.get("attachment") if isinstance(message, dict) else None
    payload = attachment.get("payload") if isinstance(attachment, dict) else None
    if not isinstance(payload, dict) or payload.get("template_type") != "image_grid":
        return []
    elements = [e for e in payload.get("elements") or [] if isinstance(e, dict)]
    images = [i for e in elements for i in e.get("images") or [] if isinstance(i, dict)]
    return [i["url"] for i in images if isinstance(i.get("url"), str)]


def _check_fetched(ctx: Context) -> None:
    """Meta fetches a grid's pictures when it is sent: one that does not answer 200 with an
    image fails the send, as a URL Meta can't fetch does (2018008; FIDELITY F-48, F-49)."""
    fetched = (ctx.prepared or {}).get("fetched") or {}
    if any(not ok for ok in fetched.values()):
        raise fail("url_fetch")


def _admit(ctx: Context, request: SendRequest) -> None:
    """The per-page rate cap (and the tighter one for audio and video, FIDELITY F-26)."""
    attachment = request.attachment or {}
    media = str(attachment.get("type", "")).lower() in {"audio", "video"}
    config = ctx.config
    if not ctx.world.limiter.admit(
        ctx.page.page_id,
        ctx.call.received_at,
        config.rate_cap,
        media=media,
        media_cap=config.media_rate_cap,
    ):
        raise fail("rate_limited")


def _reusable_id(
    ctx: Context, request: SendRequest, payload: dict[str, Any] | None, file: RecordedFile | None
) -> tuple[str | None, bool]:
    """The attachment id the send used or saved, and whether it was saved just now."""
    if payload is None or request.attachment is None:
        return None, False
    if not blank(payload.get("attachment_id")):
        return str(payload["attachment_id"]), False
    if payload.get("is_reusable") in (True, "true"):
        kind = str(request.attachment["type"]).lower()
        return _save_attachment(ctx, kind, payload.get("url"), file, reusable=True), True
    return None, False


def _utility(ctx: Context, request: SendRequest) -> dict[str, Any] | None:
    """An approved template of this page, rendered with the send's parameters (FIDELITY F-32)."""
    sent = request.template
    if sent is None:
        return None
    ctx.require("pages_utility_messaging", what="Sending utility messages")
    name = str(sent.get("name") or "")
    language = sent.get("language")
    code = str(language.get("code") if isinstance(language, dict) else language or "")
    template = ctx.world.state.template(ctx.page.page_id, name, code)
    if template is None:
        raise fail("template_not_found", name=name, language=code)
    if template.status != "APPROVED":
        raise fail("template_not_approved", name=name, language=code, status=template.status)
    rendered = templates.render(name, template.components, template.parameter_format, sent)
    return rendered | {"name": name, "language": code}


def _check_targets(ctx: Context, request: SendRequest, psid: str | None) -> None:
    """``reply_to`` names a message of this conversation; a reaction one of the person's."""
    messages = ctx.world.state.messages
    if request.reply_to is not None:
        quoted = messages.get(request.reply_to)
        if quoted is None or quoted.psid != psid or quoted.page_id != ctx.page.page_id:
            raise fail("reply_to_unknown")
    if request.sender_action in {"react", "unreact"} and request.payload is not None:
        target = messages.get(str(request.payload.get("message_id")))
        if target is None or target.from_page or target.psid != psid:
            raise fail("reaction_target")


def send(ctx: Context) -> Answer:
    """POST /messages: validate, check the recipient and window, admit, record."""
    call = ctx.call
    file = call.body.files.get(FILE_FIELD)
    request = validate_send(call.params, has_file=file is not None)
    ctx.require("pages_messaging", what="Sending messages")
    if ctx.page.restricted:
        raise fail("page_restricted")
    rendered = _utility(ctx, request)
    payload = _media(ctx, request, file)
    _check_album(ctx, request)
    _check_fetched(ctx)
    user, recipient_id = _recipient(ctx, request)
    _check_targets(ctx, request, user.psid)
    if recipient_id is not None:
        _check_window(ctx, request, user)
    else:
        _check_tag(ctx, request.tag)
    _admit(ctx, request)
    message_id = None if request.sender_action else new_message_id()
    attachment_id, saved = _reusable_id(ctx, request, payload, file)
    answer: dict[str, Any] = {}
    if recipient_id is not None:
        answer["recipient_id"] = recipient_id
    if message_id is not None:
        answer["message_id"] = message_id
    if saved:
        answer["attachment_id"] = attachment_id
    sent = _sent(ctx, request, recipient_id, message_id, attachment_id)
    sent.rendered = rendered
    if message_id is not None:
        ctx.world.state.remember(
            MessageRef(
                message_id,
                user.psid,
                ctx.page.page_id,
                True,
                sent.text,
                sent.sent_at,
                _attachments(request),
            )
        )
    return answer, sent


def _attachments(request: SendRequest) -> list[dict[str, Any]]:
    """The message's attachments, as the Conversations API shows them back."""
    message = request.message or {}
    many = message.get("attachments")
    items = many if isinstance(many, list) else [request.attachment] if request.attachment else []
    return [dict(item) for item in items if isinstance(item, dict)]


def _sent(
    ctx: Context,
    request: SendRequest,
    recipient_id: str | None,
    message_id: str | None,
    attachment_id: str | None,
) -> SentMessage:
    return SentMessage(
        page_id=ctx.page.page_id,
        recipient=request.recipient,
        recipient_id=recipient_id,
        message=request.message,
        sender_action=request.sender_action,
        messaging_type=request.messaging_type,
        tag=request.tag,
        notification_type=request.notification_type,
        message_id=message_id,
        attachment_id=attachment_id,
        files=ctx.call.body.files,
        received_at=ctx.call.received_at,
        sent_at=ctx.world.now(),
        payload=request.payload,
        reply_to=request.reply_to,
    )


def upload(ctx: Context) -> Answer:
    """POST /message_attachments: save the attachment and answer its id."""
    file = ctx.call.body.files.get(FILE_FIELD)
    attachment = validate_upload(ctx.call.params, has_file=file is not None)
    ctx.require("pages_messaging", what="Uploading attachments")
    kind = str(attachment["type"]).lower()
    payload = attachment["payload"]
    if file is not None:
        _check_file(ctx, kind, file)
    if not blank(payload.get("url")):
        _check_url_size(ctx, kind, payload["url"])
    reusable = payload.get("is_reusable") in (True, "true")
    attachment_id = _save_attachment(ctx, kind, payload.get("url"), file, reusable=reusable)
    return {"attachment_id": attachment_id}, None
