"""Webhook bodies for the fuzz tests, drawn where the parser can break.

Most draws are Meta's own shapes, with every field the parser reads (reply_to, commands, template
reviews included), in which one to three values, at any depth, are replaced by anything at all:
the parser then walks a valid body down to the hostile value, so a missing type check shows up
within a few hundred draws. The rest is arbitrary JSON (hostile from the top).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st

PAGE_ID = "1000000000000001"
PEOPLE = ["6543210987654321", "1234567890123456"]  # Alice and Bob (allowed in the tests)

anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=5,
)
ids = st.sampled_from([*PEOPLE, PAGE_ID]) | st.integers(min_value=0, max_value=10**20)
texts = st.text(max_size=40)
times = st.integers(min_value=0, max_value=2**53)


def some_of(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """A dict with any of these fields."""
    return st.fixed_dictionaries({}, optional=fields)


attachment = some_of(
    {
        "type": st.sampled_from(["image", "audio", "video", "file", "fallback"]),
        "payload": some_of({"url": texts}),
    }
)
KINDS = {
    "message": some_of(
        {
            "mid": ids,
            "text": texts,
            "is_echo": st.booleans(),
            "quick_reply": some_of({"payload": texts}),
            "attachments": st.lists(attachment, max_size=2),
            "reply_to": some_of({"mid": ids}),
            "commands": st.lists(some_of({"name": texts}), max_size=2),
        }
    ),
    "postback": some_of({"title": texts, "payload": texts, "mid": ids}),
    "delivery": some_of({"mids": st.lists(ids, max_size=3), "watermark": times}),
    "read": some_of({"watermark": times}),
    "reaction": some_of(
        {
            "mid": ids,
            "reaction": texts,
            "emoji": texts,
            "action": st.sampled_from(["react", "unreact"]),
        }
    ),
}
events = st.builds(
    lambda sender, timestamp, kind: {
        "sender": {"id": sender},
        "recipient": {"id": PAGE_ID},
        "timestamp": timestamp,
        **kind,
    },
    st.sampled_from(PEOPLE) | ids,
    times,
    st.one_of([st.fixed_dictionaries({name: body}) for name, body in KINDS.items()]),
)
template_reviews = st.fixed_dictionaries(
    {
        "field": st.sampled_from(
            ["messenger_template_status_update", "message_template_status_update", "feed"]
        ),
        "value": some_of(
            {
                "message_template_name": texts,
                "event": st.sampled_from(["APPROVED", "REJECTED", "PAUSED"]),
                "message_template_language": texts,
                "reason": texts,
            }
        ),
    }
)
entries = st.fixed_dictionaries({"id": st.just(PAGE_ID), "time": times}) | st.fixed_dictionaries(
    {"id": ids, "time": times}
)
valid_bodies = st.fixed_dictionaries(
    {
        "object": st.just("page"),
        "entry": st.lists(
            st.builds(
                lambda entry, messaging: {**entry, **messaging},
                entries,
                st.fixed_dictionaries({"messaging": st.lists(events, min_size=1, max_size=4)})
                | st.fixed_dictionaries({"changes": st.lists(template_reviews, max_size=2)}),
            ),
            min_size=1,
            max_size=2,
        ),
    }
)


def _slots(value: Any) -> Iterator[tuple[Any, Any]]:
    """Every (container, key) in a JSON value, outermost first."""
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, child in items:
        yield value, key
        if isinstance(child, dict | list):
            yield from _slots(child)


@st.composite
def perturbed_bodies(draw: st.DrawFn) -> Any:
    """A well-formed body with one to three of its values replaced by anything."""
    root = [draw(valid_bodies)]
    for _ in range(draw(st.integers(1, 3))):
        container, key = draw(st.sampled_from(list(_slots(root))))
        container[key] = draw(anything)
    return root[0]


bodies = perturbed_bodies() | perturbed_bodies() | perturbed_bodies() | anything
