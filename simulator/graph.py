"""The Graph API routes the integration uses, answered the way Meta answers them.

One catch-all handler serves ``/{version}/me``, ``/{page}/messages``,
``/{page}/message_attachments`` and ``/{page}/conversations`` (versioned or not). Every request
goes through the same steps: route, fault injection, authentication, the route's own checks, rate
cap, answer; then it is recorded. Everything between reading the body and recording is
synchronous, so the rate cap and the recordings see requests in arrival order; latency and
injected delays are slept afterwards.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
import hashlib
import hmac
import re
import secrets
import time
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .bodies import FILE_FIELD, ParsedBody, merge_params, parse_body
from .errors import GraphError, fail
from .faults import SEND_EDGES, Fault
from .recording import RecordedRequest, SentMessage
from .state import WINDOW_SECONDS, Attachment, RecordedFile, SimPage, SimUser
from .validation import (
    LEGACY_TAGS,
    LIVE_TAGS,
    MEDIA_TYPES,
    RETIRED_TAGS,
    SendRequest,
    validate_send,
    validate_upload,
)

if TYPE_CHECKING:
    from .core import Simulator

VERSION_RE = re.compile(r"v\d+\.\d+")
EDGE_METHODS = {
    "node": "GET",
    "messages": "POST",
    "message_attachments": "POST",
    "conversations": "GET",
}
NODE_FIELDS = ("id", "name")
CONVERSATION_FIELDS = ("id", "updated_time", "participants", "unread_count", "message_count")
CONVERSATION_DEFAULT_LIMIT = 25
CONVERSATION_MAX_LIMIT = 100  # the real maximum is UNCONFIRMED; larger limits are capped silently
PACIFIC = timezone(timedelta(hours=-7), "PDT")


@dataclass(slots=True)
class Route:
    """Where a Graph request goes: API version, node ("me" or an id) and kind of route."""

    version: str
    node: str
    kind: str


@dataclass(slots=True)
class Call:
    """A Graph request, read and parsed."""

    method: str
    path: str
    url: Any  # the request's yarl URL, used to build paging links
    query: dict[str, str]
    headers: dict[str, str]
    raw_body: bytes
    body: ParsedBody
    params: dict[str, Any]
    token: str | None
    token_source: str | None
    proof: str | None
    received_at: float


@dataclass(slots=True)
class Outcome:
    """How to answer: a JSON body, a plain body, or no answer at all (``disconnect``)."""

    status: int
    payload: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    text: str | None = None
    content_type: str = "application/json"
    disconnect: bool = False
    delay: float = 0.0
    plain: bool = False  # an injected bare HTTP failure: no Graph headers


def resolve(path: str, default_version: str) -> Route:
    """Map a path to a route, or raise Meta's 2500 "Unknown path components" error."""
    parts = [part for part in path.split("/") if part]
    version = default_version
    if parts and VERSION_RE.fullmatch(parts[0]):
        version = parts.pop(0)
    if not parts:
        raise fail("unknown_path", path="/")
    node, rest = parts[0], parts[1:]
    if node != "me" and not node.isdigit():
        raise fail("unknown_path", path="/" + "/".join(parts))
    if not rest:
        return Route(version, node, "node")
    if len(rest) == 1 and rest[0] in EDGE_METHODS and rest[0] != "node":
        return Route(version, node, rest[0])
    raise fail("unknown_path", path="/" + "/".join(rest))


def appsecret_proof(app_secret: str, token: str) -> str:
    """hex HMAC-SHA256(key=app_secret, msg=token), as Meta computes it (reference §1.2)."""
    return hmac.new(app_secret.encode(), token.encode(), hashlib.sha256).hexdigest()


def new_message_id() -> str:
    """A message id shaped like Meta's current ``m_...`` ids."""
    return "m_" + secrets.token_urlsafe(48)


def _token(query: dict[str, str], body: ParsedBody, headers: Any) -> tuple[str | None, str | None]:
    """The access token and where it came from: query, form, json or header."""
    if query.get("access_token"):
        return query["access_token"], "query"
    value = body.fields.get("access_token")
    if isinstance(value, str) and value:
        return value, "json" if body.kind == "json" else "form"
    scheme, _, credentials = str(headers.get("Authorization", "")).strip().partition(" ")
    if scheme.lower() in {"bearer", "oauth"} and credentials.strip():
        return credentials.strip(), "header"
    return None, None


def _www_authenticate(kind: str, message: str) -> dict[str, str]:
    return {"WWW-Authenticate": f'OAuth "Facebook Platform" "{kind}" "{message}"'}


def _blank(value: Any) -> bool:
    return value is None or value in ("", {}, [])


def _fields(value: Any, default: tuple[str, ...]) -> list[str]:
    if _blank(value):
        return list(default)
    return [part.strip() for part in str(value).split(",") if part.strip()]


class GraphApi:
    """The Graph API side of a :class:`Simulator`."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim

    # ----------------------------------------------------------------------------- HTTP

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """The catch-all aiohttp handler for Graph paths."""
        raw = await request.read()
        outcome = self.process(request, raw, time.monotonic())
        if outcome.delay > 0:
            await asyncio.sleep(outcome.delay)
        if outcome.disconnect:
            if request.transport is not None:
                request.transport.abort()
            return web.Response(status=500)  # never reaches the client
        if outcome.text is not None:
            return web.Response(
                status=outcome.status,
                text=outcome.text,
                content_type=outcome.content_type,
                headers=outcome.headers,
            )
        return web.json_response(outcome.payload, status=outcome.status, headers=outcome.headers)

    def process(self, request: web.Request, raw: bytes, received_at: float) -> Outcome:
        """Answer one request and record it (synchronous: see the module docstring)."""
        sim = self.sim
        query = dict(request.query.items())
        body = parse_body(request.headers.get("Content-Type"), raw)
        token, source = _token(query, body, request.headers)
        params = merge_params(query, body.fields)
        proof = params.get("appsecret_proof")
        call = Call(
            method=request.method,
            path=request.path,
            url=request.url,
            query=query,
            headers=dict(request.headers),
            raw_body=raw,
            body=body,
            params=params,
            token=token,
            token_source=source,
            proof=str(proof) if proof is not None else None,
            received_at=received_at,
        )
        page = sim.state.page_for_token(token)
        version = sim.default_version
        fault: Fault | None = None
        sent: SentMessage | None = None
        delay = 0.0
        try:
            route = resolve(call.path, sim.default_version)
            version = route.version
            if route.kind in SEND_EDGES:
                delay = sim.latency
            fault = sim.faults.take(route.kind)
            if fault is not None and fault.kind == "delay":
                delay += fault.seconds
            if fault is not None and fault.kind == "http":
                outcome = self._plain(fault)
            elif fault is not None and fault.kind == "disconnect" and not fault.after_accept:
                outcome = Outcome(0, {}, disconnect=True)
            else:
                if fault is not None and fault.kind == "error":
                    raise fault.error()
                payload, sent = self._dispatch(call, route)
                outcome = Outcome(200, payload)
        except GraphError as err:
            outcome = Outcome(err.http_status or 400, err.body(), headers=dict(err.headers))
        if fault is not None and fault.kind == "disconnect":
            outcome = Outcome(0, {}, disconnect=True)
        outcome.delay = delay
        page_id = page.page_id if page is not None else None
        sim.usage.hit(page_id, received_at)
        if not outcome.disconnect and not outcome.plain:
            outcome.headers.update(sim.usage.headers(page_id, sim.usage_budget_per_minute))
            outcome.headers["facebook-api-version"] = version
            if "error" in outcome.payload:
                outcome.headers["x-fb-trace-id"] = outcome.payload["error"]["fbtrace_id"]
        node = call.path.strip("/").split("/")
        sim.recorder.add_request(
            RecordedRequest(
                method=call.method,
                path=call.path,
                query=call.query,
                headers=call.headers,
                raw_body=raw,
                body=body.fields,
                files=body.files,
                token=token,
                token_source=source,
                appsecret_proof=call.proof,
                page_id=page_id or next((p for p in node[:2] if p.isdigit()), None),
                status=outcome.status,
                response=outcome.payload,
                received_at=received_at,
            )
        )
        if sent is not None:
            sim.recorder.add_sent(sent)
        return outcome

    @staticmethod
    def _plain(fault: Fault) -> Outcome:
        """A bare HTTP failure, as a proxy or load balancer in front of Graph would send it."""
        if isinstance(fault.body, dict):
            return Outcome(fault.status, fault.body, plain=True)
        if fault.body is None:
            reason = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
            title = f"{fault.status} {reason.get(fault.status, 'Server Error')}"
            text = f"<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
        else:
            text = fault.body
        content_type = "text/html" if text.lstrip().startswith("<") else "text/plain"
        return Outcome(
            fault.status, {"body": text}, text=text, content_type=content_type, plain=True
        )

    # ----------------------------------------------------------------------------- auth

    def _authenticate(self, call: Call) -> SimPage:
        if not call.token:
            err = fail("token_missing")
            err.headers = _www_authenticate("invalid_request", err.message)
            raise err
        page = self.sim.state.page_for_token(call.token)
        if page is None:
            err = fail("token_invalid")
            err.headers = _www_authenticate("invalid_token", err.message)
            raise err
        if page.token_state == "expired":
            now = datetime.fromtimestamp(self.sim.now(), tz=PACIFIC)
            stamp = "%A, %d-%b-%y %H:%M:%S %Z"
            expired = (now - timedelta(hours=1)).strftime(stamp)
            raise fail("token_expired", expired=expired, now=now.strftime(stamp))
        if page.token_state == "invalidated":
            raise fail("token_invalidated")
        if call.proof is not None and page.app_secret:
            expected = appsecret_proof(page.app_secret, call.token)
            if not hmac.compare_digest(expected, call.proof.lower()):
                raise fail("proof_invalid")
        elif call.proof is None and page.require_appsecret_proof:
            raise fail("proof_required")
        return page

    def _dispatch(self, call: Call, route: Route) -> tuple[dict[str, Any], SentMessage | None]:
        if call.body.error is not None:
            raise call.body.error
        page = self._authenticate(call)
        method = call.method.lower()
        if route.node not in ("me", page.page_id):
            raise fail("unsupported_request", method=method, object_id=route.node)
        if call.method != EDGE_METHODS[route.kind]:
            raise fail("unsupported_method", method=method)
        if route.kind == "node":
            return self._node(call, page), None
        if route.kind == "conversations":
            return self._conversations(call, page), None
        if route.kind == "message_attachments":
            return self._upload(call, page), None
        return self._send(call, page)

    # ----------------------------------------------------------------------------- /me

    @staticmethod
    def _node(call: Call, page: SimPage) -> dict[str, Any]:
        available = {"id": page.page_id, "name": page.name}
        requested = _fields(call.params.get("fields"), ("name", "id"))
        unknown = [name for name in requested if name not in available]
        if unknown:
            raise fail("unknown_fields", fields=",".join(unknown))
        result = {name: available[name] for name in requested}
        result.setdefault("id", page.page_id)
        return result

    # ----------------------------------------------------------------------------- send

    def _check_file(self, kind: str, file: RecordedFile) -> None:
        if len(file.data) > self.sim.max_attachment_bytes:
            raise fail("attachment_size")
        content_type = (file.content_type or "").lower()
        if kind != "file" and not content_type.startswith(kind + "/"):
            raise fail("media_mismatch")

    def _save_attachment(
        self, page: SimPage, kind: str, url: Any, file: RecordedFile | None, *, reusable: bool
    ) -> str:
        state = self.sim.state
        attachment_id = str(secrets.randbelow(9 * 10**15) + 10**15)
        state.attachments[attachment_id] = Attachment(
            attachment_id=attachment_id,
            page_id=page.page_id,
            type=kind,
            url=str(url) if not _blank(url) else None,
            file=file,
            reusable=reusable,
            created_at=state.now(),
        )
        return attachment_id

    def _check_reachable(self, user: SimUser, page: SimPage) -> None:
        if user.blocked:
            raise fail("blocked")
        if page.dev_mode and not user.has_role:
            raise fail("dev_mode")

    def _recipient(self, request: SendRequest, page: SimPage) -> tuple[SimUser, str | None]:
        """The person addressed and the ``recipient_id`` to answer with."""
        recipient = request.recipient
        state = self.sim.state
        if not _blank(recipient.get("id")):
            psid = str(recipient["id"])
            user = state.users.get(psid)
            if user is None or user.page_id != page.page_id:
                raise fail("no_user")
            self._check_reachable(user, page)
            return user, psid
        phone = recipient.get("phone_number")
        if not _blank(phone):
            if not page.phone_matching:
                raise fail("phone_gated")
            found = state.user_by_phone(page.page_id, str(phone))
            if found is None:
                raise fail("no_user")
            self._check_reachable(found, page)
            return found, None
        # user_ref, comment_id, post_id and notification tokens name nobody the simulator knows.
        raise fail("no_user")

    def _check_window(self, request: SendRequest, user: SimUser) -> None:
        """The 24-hour window and message tags (reference §1.5, §8)."""
        tag = request.tag
        if tag in RETIRED_TAGS or tag in LEGACY_TAGS:
            raise fail("tag_retired", tag=tag)
        if request.messaging_type == "UTILITY":
            return  # approved utility templates may go out of the window (UNCONFIRMED details)
        elapsed = self.sim.now() - user.last_inbound
        allowed = WINDOW_SECONDS
        if request.messaging_type == "MESSAGE_TAG" and tag in LIVE_TAGS:
            allowed = LIVE_TAGS[tag]
        if elapsed > allowed:
            raise fail("window")

    def _send(self, call: Call, page: SimPage) -> tuple[dict[str, Any], SentMessage]:
        sim = self.sim
        file = call.body.files.get(FILE_FIELD)
        request = validate_send(call.params, has_file=file is not None)
        attachment = request.attachment
        kind = str(attachment.get("type", "")).lower() if attachment else None
        media_payload: dict[str, Any] | None = None
        if attachment is not None and kind in MEDIA_TYPES:
            media_payload = attachment["payload"]
            if file is not None:
                self._check_file(kind, file)
            reused = media_payload.get("attachment_id")
            if not _blank(reused) and sim.state.attachment_for(str(reused), page.page_id) is None:
                raise fail("attachment_id")
        user, recipient_id = self._recipient(request, page)
        if recipient_id is not None:
            self._check_window(request, user)
        elif request.tag in RETIRED_TAGS or request.tag in LEGACY_TAGS:
            raise fail("tag_retired", tag=request.tag)
        media = kind in {"audio", "video"}
        if not sim.limiter.admit(
            page.page_id,
            call.received_at,
            sim.rate_cap,
            media=media,
            media_cap=sim.media_rate_cap,
        ):
            raise fail("rate_limited")
        answer: dict[str, Any] = {}
        if recipient_id is not None:
            answer["recipient_id"] = recipient_id
        message_id = None if request.sender_action else new_message_id()
        if message_id is not None:
            answer["message_id"] = message_id
        attachment_id = None
        if media_payload is not None and kind is not None:
            if not _blank(media_payload.get("attachment_id")):
                attachment_id = str(media_payload["attachment_id"])
            elif media_payload.get("is_reusable") in (True, "true"):
                attachment_id = self._save_attachment(
                    page, kind, media_payload.get("url"), file, reusable=True
                )
                answer["attachment_id"] = attachment_id
        sent = SentMessage(
            page_id=page.page_id,
            recipient=request.recipient,
            recipient_id=recipient_id,
            message=request.message,
            sender_action=request.sender_action,
            messaging_type=request.messaging_type,
            tag=request.tag,
            notification_type=request.notification_type,
            message_id=message_id,
            attachment_id=attachment_id,
            files=call.body.files,
            received_at=call.received_at,
            sent_at=sim.now(),
        )
        return answer, sent

    def _upload(self, call: Call, page: SimPage) -> dict[str, Any]:
        file = call.body.files.get(FILE_FIELD)
        attachment = validate_upload(call.params, has_file=file is not None)
        kind = str(attachment["type"]).lower()
        payload = attachment["payload"]
        if file is not None:
            self._check_file(kind, file)
        reusable = payload.get("is_reusable") in (True, "true")
        attachment_id = self._save_attachment(
            page, kind, payload.get("url"), file, reusable=reusable
        )
        return {"attachment_id": attachment_id}

    # ----------------------------------------------------------------------------- conversations

    def _conversations(self, call: Call, page: SimPage) -> dict[str, Any]:
        params = call.params
        platform = str(params.get("platform") or "messenger").lower()
        if platform not in {"messenger", "instagram"}:
            raise fail(
                "bad_enum", name="platform", values="MESSENGER, INSTAGRAM", value=params["platform"]
            )
        wanted = _fields(params.get("fields"), ("id", "updated_time"))
        for name in wanted:
            if name not in CONVERSATION_FIELDS:
                raise fail("nonexisting_field", field=name)
        limit = CONVERSATION_DEFAULT_LIMIT
        if not _blank(params.get("limit")):
            try:
                limit = int(str(params["limit"]))
            except ValueError:
                raise fail("not_integer", name="limit") from None
        limit = max(1, min(limit, CONVERSATION_MAX_LIMIT))
        users: list[SimUser] = []
        if platform == "messenger":
            users = [u for u in self.sim.state.users.values() if u.page_id == page.page_id]
        if not _blank(params.get("user_id")):
            users = [u for u in users if u.psid == str(params["user_id"])]
        updated = {u.psid: self._updated(u) for u in users}
        users.sort(key=lambda u: (-updated[u.psid], u.psid))
        cursors = [self._cursor(page, u) for u in users]
        start = 0
        after = params.get("after")
        if not _blank(after):
            start = cursors.index(after) + 1 if after in cursors else len(users)
        chunk = users[start : start + limit]
        result: dict[str, Any] = {
            "data": [self._conversation(page, u, updated[u.psid], wanted) for u in chunk]
        }
        if chunk:
            paging: dict[str, Any] = {
                "cursors": {"before": cursors[start], "after": cursors[start + len(chunk) - 1]}
            }
            if start + limit < len(users):
                next_url = call.url.update_query(after=paging["cursors"]["after"])
                paging["next"] = str(next_url)
            result["paging"] = paging
        return result

    def _updated(self, user: SimUser) -> float:
        sent = self.sim.recorder.messages_to(user.psid)
        return max(user.last_inbound, sent[-1].sent_at if sent else 0.0)

    @staticmethod
    def _conversation_id(page: SimPage, user: SimUser) -> str:
        digest = hashlib.sha256(f"{page.page_id}:{user.psid}".encode()).hexdigest()
        return "t_" + str(int(digest[:14], 16))

    def _cursor(self, page: SimPage, user: SimUser) -> str:
        raw = self._conversation_id(page, user).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _conversation(
        self, page: SimPage, user: SimUser, updated: float, wanted: list[str]
    ) -> dict[str, Any]:
        item: dict[str, Any] = {}
        for name in wanted:
            if name == "updated_time":
                stamp = datetime.fromtimestamp(updated, tz=UTC)
                item[name] = stamp.strftime("%Y-%m-%dT%H:%M:%S+0000")
            elif name == "participants":
                item[name] = {
                    "data": [
                        {"id": user.psid, "name": user.name, "email": f"{user.psid}@facebook.com"},
                        {
                            "id": page.page_id,
                            "name": page.name,
                            "email": f"{page.page_id}@facebook.com",
                        },
                    ]
                }
            elif name == "unread_count":
                item[name] = 0
            elif name == "message_count":
                item[name] = len(self.sim.recorder.messages_to(user.psid))
        item["id"] = self._conversation_id(page, user)
        return item
