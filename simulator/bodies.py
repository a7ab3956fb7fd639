"""Reading Graph request bodies the ways Meta accepts them (``FIDELITY.md`` F-38).

Three encodings reach the Send API: a JSON object; form or query parameters whose object values
are JSON strings (Meta's own curl sample even single-quotes them); and multipart/form-data with
text parts plus a ``filedata`` file part. The standard library has no multipart parser any more,
and aiohttp's reads only from the live stream, so a small one lives here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
import json
from typing import Any
from urllib.parse import parse_qsl

from .errors import GraphError, fail
from .state import RecordedFile

FILE_FIELD = "filedata"


@dataclass(slots=True)
class ParsedBody:
    """A request body: its encoding, its fields (JSON-string values decoded) and its files."""

    kind: str | None
    fields: dict[str, Any] = field(default_factory=dict)
    files: dict[str, RecordedFile] = field(default_factory=dict)
    error: GraphError | None = None


def _requote(text: str) -> str:
    """Turn single-quoted JSON-like text into JSON: ``{'id':'1'}`` becomes ``{"id":"1"}``."""
    out: list[str] = []
    quote: str | None = None
    index = 0
    while index < len(text):
        char = text[index]
        if quote is None:
            if char in "'\"":
                quote = char
                out.append('"')
            else:
                out.append(char)
        elif char == "\\" and index + 1 < len(text):
            following = text[index + 1]
            out.append("'" if following == "'" else char + following)
            index += 2
            continue
        elif char == quote:
            quote = None
            out.append('"')
        elif char == '"':
            out.append('\\"')
        else:
            out.append(char)
        index += 1
    return "".join(out)


def decode_value(value: Any) -> Any:
    """Decode a parameter that holds a JSON object or array; leave every other value alone."""
    if not isinstance(value, str):
        return value
    stripped = value.strip()
    if stripped[:1] not in ("{", "["):
        return value
    try:
        return json.loads(stripped)
    except ValueError:
        pass
    try:
        return json.loads(_requote(stripped))
    except ValueError:
        return value


def _content_type(header: str | None) -> tuple[str | None, dict[str, str]]:
    if not header:
        return None, {}
    message = Message()
    message["content-type"] = header
    params = {str(k).lower(): str(v) for k, v in (message.get_params() or [])[1:]}
    return message.get_content_type(), params


def parse_multipart(raw: bytes, boundary: str) -> tuple[dict[str, Any], dict[str, RecordedFile]]:
    """Split a multipart/form-data body into text fields and files."""
    fields: dict[str, Any] = {}
    files: dict[str, RecordedFile] = {}
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    for part in (b"\r\n" + raw).split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, separator, content = part.partition(b"\r\n\r\n")
        if not separator:
            continue
        headers = message_from_bytes(head.lstrip(b" \t\r\n") + b"\r\n\r\n")
        name = headers.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        filename = headers.get_filename()
        if filename is not None or name == FILE_FIELD:
            content_type = headers.get("content-type")
            files[name] = RecordedFile(
                filename=filename,
                content_type=str(content_type).split(";")[0].strip() if content_type else None,
                data=content,
            )
        else:
            fields[name] = decode_value(content.decode("utf-8", "replace"))
    return fields, files


def parse_body(content_type: str | None, raw: bytes) -> ParsedBody:
    """Parse a body by its Content-Type (sniffing JSON when the type says nothing useful)."""
    if not raw.strip():
        return ParsedBody(None)
    mime, params = _content_type(content_type)
    if mime == "multipart/form-data":
        boundary = params.get("boundary")
        if not boundary:
            return ParsedBody("multipart", error=fail("param_required", name="boundary"))
        fields, files = parse_multipart(raw, boundary)
        return ParsedBody("multipart", fields, files)
    is_json = mime == "application/json" or (mime or "").endswith("+json")
    if not is_json and mime != "application/x-www-form-urlencoded":
        is_json = raw.lstrip()[:1] == b"{"
    if not is_json:
        text = raw.decode("utf-8", "replace")
        pairs = parse_qsl(text, keep_blank_values=True)
        return ParsedBody("form", {key: decode_value(value) for key, value in pairs})
    try:
        data = json.loads(raw)
    except ValueError:
        return ParsedBody("json", error=fail("bad_json_body"))
    if not isinstance(data, dict):
        return ParsedBody("json", error=fail("bad_json_body"))
    return ParsedBody("json", data)


def merge_params(query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """Graph reads parameters from the query string and the body alike; the body wins."""
    params: dict[str, Any] = {key: decode_value(value) for key, value in query.items()}
    for key, value in body.items():
        params[key] = decode_value(value)
    return params
