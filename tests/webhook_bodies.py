"""Webhook bodies for the fuzz tests, drawn where the parser can break.

Meta's own shapes, with every field the parser reads (reply_to, commands, template reviews
included), where any value may be anything at all: a field's value often (one time in two), the
envelope around it (body, entry, event, sender) seldom, so that most draws reach deep into the
parser before they turn hostile. A missing type check shows up within a few hundred draws.
"""

from __future__ import annotations

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


def hostile(valid: st.SearchStrategy[Any], odds: int = 2) -> st.SearchStrategy[Any]:
    """`valid`, or one time in `odds` anything at all (hypothesis picks a branch of `one_of`
    evenly, and merges equal branches: hence the copies of `valid`)."""
    return st.one_of(*[valid.map(_same) for _ in range(odds - 1)], anything)


def _same(value: Any) -> Any:
    return value


def some_of(
    fields: dict[str, st.SearchStrategy[Any]], odds: int = 2
) -> st.SearchStrategy[dict[str, Any]]:
    """A dict with any of these fields, each value hostile one time in `odds`."""
    return st.fixed_dictionaries(
        {}, optional={name: hostile(value, odds) for name, value in fields.items()}
    )


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
            "attachments": st.lists(hostile(attachment), max_size=2),
            "reply_to": some_of({"mid": ids}),
            "commands": st.lists(hostile(some_of({"name": texts})), max_size=2),
        }
    ),
    "postback": some_of({"title": texts, "payload": texts, "mid": ids}),
    "delivery": some_of({"mids": st.lists(hostile(ids), max_size=3), "watermark": times}),
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
        "sender": sender,
        "recipient": {"id": PAGE_ID},
        "timestamp": timestamp,
        **kind,
    },
    hostile(st.fixed_dictionaries({"id": hostile(st.sampled_from(PEOPLE) | ids, 8)}), 8),
    hostile(times, 8),
    st.one_of([some_of({name: body}, 8) for name, body in KINDS.items()]),
)
template_reviews = some_of(
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
    },
    8,
)
entries = st.builds(
    lambda entry, items: {**entry, **items},
    some_of({"id": st.just(PAGE_ID) | ids, "time": times}, 8),
    some_of({"messaging": st.lists(hostile(events, 8), min_size=2, max_size=6)}, 8)
    | some_of({"changes": st.lists(hostile(template_reviews, 8), max_size=2)}, 8),
)
bodies = hostile(
    st.fixed_dictionaries(
        {"object": hostile(st.just("page"), 8)},
        optional={"entry": hostile(st.lists(hostile(entries, 8), min_size=1, max_size=2), 8)},
    ),
    8,
)
