"""Fault injection: make the next matching Graph calls fail the ways Meta's API fails.

Faults wait in a FIFO queue; each Graph call takes (and uses up one count of) the first fault whose
paths match it. By default a fault matches only the Send API (``messages``) and upload
(``message_attachments``) edges, so a client's setup call to ``/me`` is not disturbed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .edges import ROUTE_KINDS
from .errors import GraphError, default_message

SEND_EDGES = frozenset({"messages", "message_attachments"})
ALL_EDGES = ROUTE_KINDS
FAULT_KINDS = ("error", "http", "disconnect", "delay")


def edges_for(paths: str | Iterable[str] | None) -> frozenset[str]:
    """Turn a ``paths`` argument into route kinds: None = sends, "all" = every route.

    Also accepts route kinds or path words: "me" (and "node") mean GET /me and /{page-id};
    "oauth" and "oauth/access_token" the token exchange.
    """
    if paths is None:
        return SEND_EDGES
    if isinstance(paths, str):
        if paths == "all":
            return ALL_EDGES
        paths = [paths]
    edges = set()
    for item in paths:
        word = item.strip("/").rsplit("/", 1)[-1]
        if word == "access_token":
            word = "oauth"
        if word in {"me", "node"} or word.isdigit():
            edges.add("node")
        elif word in ALL_EDGES:
            edges.add(word)
        else:
            raise ValueError(f"unknown path for a fault: {item!r}")
    return frozenset(edges)


@dataclass(slots=True)
class Fault:
    """One queued fault; ``count`` None means it never runs out."""

    kind: str
    edges: frozenset[str]
    count: int | None = 1
    # kind "error"
    code: int = 0
    subcode: int | None = None
    message: str | None = None
    http_status: int | None = None
    is_transient: bool | None = None
    error_type: str = "OAuthException"
    # kind "http"
    status: int = 500
    body: str | dict[str, Any] | None = None
    # kind "disconnect"
    after_accept: bool = False
    # kind "delay"
    seconds: float = 0.0

    def error(self) -> GraphError:
        """The Graph error an "error" fault answers with."""
        return GraphError(
            code=self.code,
            subcode=self.subcode,
            message=self.message or default_message(self.code, self.subcode),
            type=self.error_type,
            is_transient=self.is_transient,
            http_status=self.http_status,
        )

    def describe(self) -> dict[str, Any]:
        """A JSON-friendly summary for the control API."""
        info: dict[str, Any] = {"kind": self.kind, "count": self.count, "paths": sorted(self.edges)}
        if self.kind == "error":
            info.update(code=self.code, subcode=self.subcode, http_status=self.http_status)
        elif self.kind == "http":
            info["status"] = self.status
        elif self.kind == "disconnect":
            info["after_accept"] = self.after_accept
        else:
            info["seconds"] = self.seconds
        return info


class FaultQueue:
    """The queue of pending faults."""

    def __init__(self) -> None:
        self.pending: list[Fault] = []

    def add(self, fault: Fault) -> Fault:
        """Queue a fault after the ones already waiting."""
        if fault.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {fault.kind!r}")
        if fault.count is not None and fault.count < 1:
            raise ValueError("count must be at least 1 (or None for unlimited)")
        self.pending.append(fault)
        return fault

    def take(self, edge: str) -> Fault | None:
        """The first fault matching this route kind, with one count used up."""
        for index, fault in enumerate(self.pending):
            if edge in fault.edges:
                if fault.count is not None:
                    fault.count -= 1
                    if fault.count == 0:
                        del self.pending[index]
                return fault
        return None

    def clear(self) -> None:
        """Drop every pending fault."""
        self.pending.clear()
