"""The `/api/facebook_webhooks` view: handshake, signature, parse, route, answer.

Webhook input is hostile until its signature says otherwise: the raw body is read once with a
size limit, the HMAC is checked over those exact bytes before anything is parsed, and no input
can make the view answer 500 or block the event loop. The view knows no page and no entity: it
hands parsed events to the router.
"""

from __future__ import annotations

from aiohttp import web
from homeassistant.helpers.http import HomeAssistantView
from homeassistant.util.json import json_loads

from .const import LOGGER, WEBHOOK_MAX_BODY, WEBHOOK_PATH
from .messenger import SIGNATURE_HEADER, matching_secrets, parse_body, verify_handshake
from .router import WebhookRouter


class BodyTooLarge(Exception):
    """The request body is over the webhook's size limit."""


class FacebookWebhookView(HomeAssistantView):
    """Meta's webhook for every configured page."""

    url = WEBHOOK_PATH
    name = "api:facebook_webhooks"
    requires_auth = False

    def __init__(self, router: WebhookRouter) -> None:
        """Serve the router's pages."""
        self.router = router
        self.auth = router.auth

    async def get(self, request: web.Request) -> web.Response:
        """Meta's subscription handshake: echo the challenge if the verify token matches."""
        challenge = verify_handshake(request.query, self.auth.verify_tokens)
        if challenge is None:
            LOGGER.debug("Webhook handshake refused (mode or verify token mismatch)")
            return web.Response(status=403, text="Forbidden")
        self.auth.async_note_unsigned()
        return web.Response(text=challenge, content_type="text/plain")

    async def post(self, request: web.Request) -> web.Response:
        """Events from Meta: verify, parse, fire, answer at once."""
        try:
            body = await _read_limited(request, WEBHOOK_MAX_BODY)
        except BodyTooLarge:
            return web.Response(status=413, text="Request body too large")
        secrets = self.auth.app_secrets
        signed_by: list[bytes] | None = None
        if secrets:
            signed_by = matching_secrets(body, request.headers.get(SIGNATURE_HEADER), secrets)
            if not signed_by:
                self.auth.async_note_bad_signature(request.remote)
                return web.Response(status=403, text="Invalid signature")
        else:
            self.auth.async_note_unsigned()
        try:
            payload = json_loads(body)
        except (ValueError, RecursionError):
            return web.Response(status=400, text="Invalid JSON")
        parsed = parse_body(payload)
        if parsed.object_type != "page":
            LOGGER.debug("Webhook body for object %r ignored", parsed.object_type)
            return web.Response(text="EVENT_RECEIVED")
        if parsed.skipped:
            LOGGER.debug("Webhook body: %d malformed or unknown items skipped", parsed.skipped)
        self.router.async_dispatch(parsed.events, signed_by)
        self.router.async_template_changes(parsed.template_changes, signed_by)
        return web.Response(text="EVENT_RECEIVED")


async def _read_limited(request: web.Request, limit: int) -> bytes:
    """Read the whole body once, refusing more than `limit` bytes."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    while chunk := await request.content.readany():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)
