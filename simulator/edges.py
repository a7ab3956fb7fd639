"""The kinds of Graph route the simulator answers: the edges of a node and the top-level paths.

Routing (:mod:`.graph_request`) maps paths onto these kinds and fault injection (:mod:`.faults`)
matches calls by them, so both read the one list here.
"""

from __future__ import annotations

# The edges below a node (``/{node}/<edge>``).
NODE_EDGES = (
    "messages",
    "message_attachments",
    "conversations",
    "accounts",
    "subscribed_apps",
    "message_templates",
    "messenger_profile",
    "subscriptions",
)
# Paths that name no node: the token exchange and the token debugger (FIDELITY F-16, F-25).
TOP_LEVEL = {("oauth", "access_token"): "oauth", ("debug_token",): "debug_token"}
# Every kind of route: the node itself ("me" or an id), its edges and the top-level paths.
ROUTE_KINDS = frozenset({"node", *NODE_EDGES, *TOP_LEVEL.values()})
