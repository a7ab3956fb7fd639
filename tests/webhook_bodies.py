"""Webhook bodies for the fuzz tests, drawn where the parser can break.

Meta's own shapes, with every field the parser reads (reply_to, commands, template reviews
included), where any value may be anything at all: a field's value often (one time in two), the
envelope around it (body, entry, event, sender) seldom, so that most draws reach deep into the
parser before they turn hostile. A missing type check shows up within a few hundred draws.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
import json
import os
import random
import string
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


# The same shapes drawn by a seeded `random.Random`: about a hundred times cheaper a body than
# hypothesis, so that the 10,000 bodies posted to the real view cost the suite their posting only.
Draw = Callable[[], Any]
# Seeded: a body that breaks something is found again by its seed (FB_FUZZ_SEED to try others).
FUZZ_SEED = int(os.environ.get("FB_FUZZ_SEED", "20261207"))
CHARS = string.ascii_letters + string.digits + string.punctuation + " \n\t\0é中\u202e🙂\ufeff"
NUMBERS = (0, -1, 1, 2**31, 2**53 + 1, 2**63, -(2**63), 10**30, 1.5, -0.0, 1e308, float("inf"))


def random_bodies(count: int, seed: int) -> list[bytes]:
    """`count` hostile bodies: a third Meta's shapes with hostile values, the rest near-valid
    events, any JSON at all, or bytes that are not JSON."""
    draw = _Draws(random.Random(seed))
    return [draw.body() for _ in range(count)]


class _Draws:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def body(self) -> bytes:
        roll = self.rng.random()
        if roll < 0.1:
            return self.rng.randbytes(self.rng.randrange(300))
        if roll < 0.2:
            value: Any = self.anything()
        elif roll < 0.55:
            value = self.envelope()
        else:
            value = self.hostile(self.envelope)
        return json.dumps(value, ensure_ascii=self.rng.random() < 0.5).encode()

    def envelope(self) -> dict[str, Any]:
        return {"object": self.hostile(lambda: "page", 8), "entry": self.hostile(self.entries, 8)}

    def anything(self, depth: int = 0) -> Any:
        roll = self.rng.randrange(8 if depth < 3 else 6)
        if roll == 0:
            return None
        if roll == 1:
            return self.rng.random() < 0.5
        if roll == 2:
            return self.rng.choice(NUMBERS)
        if roll == 3:
            return self.rng.randrange(-1000, 10**20)
        if roll in (4, 5):
            return self.text(20)
        if roll == 6:
            return [self.anything(depth + 1) for _ in range(self.rng.randrange(4))]
        return {self.text(8): self.anything(depth + 1) for _ in range(self.rng.randrange(4))}

    def text(self, most: int) -> str:
        return "".join(self.rng.choices(CHARS, k=self.rng.randrange(most + 1)))

    def hostile(self, valid: Draw, odds: int = 2) -> Any:
        """`valid()`, or one time in `odds` anything at all."""
        return self.anything() if self.rng.randrange(odds) == 0 else valid()

    def some_of(self, fields: dict[str, Draw], odds: int = 2) -> dict[str, Any]:
        """Any of these fields (each one time in two), each hostile one time in `odds`."""
        return {
            name: self.hostile(value, odds)
            for name, value in fields.items()
            if self.rng.random() < 0.5
        }

    def some(self, item: Draw, least: int, most: int) -> list[Any]:
        return [self.hostile(item, 8) for _ in range(self.rng.randint(least, most))]

    def id(self) -> Any:
        return self.rng.choice([*PEOPLE, PAGE_ID, str(self.rng.randrange(10**20))])

    def entries(self) -> list[Any]:
        return self.some(self.entry, 1, 2)

    def entry(self) -> dict[str, Any]:
        entry = self.some_of({"id": lambda: PAGE_ID, "time": self.time}, 8)
        if self.rng.random() < 0.8:
            entry["messaging"] = self.hostile(lambda: self.some(self.event, 2, 6), 8)
        else:
            entry["changes"] = self.some(self.template_review, 0, 2)
        return entry

    def time(self) -> int:
        return self.rng.randrange(2**53)

    def event(self) -> dict[str, Any]:
        kind = self.rng.choice(list(self.kinds()))
        return {
            "sender": self.hostile(
                lambda: {"id": self.hostile(lambda: self.rng.choice(PEOPLE), 8)}, 8
            ),
            "recipient": {"id": PAGE_ID},
            "timestamp": self.hostile(self.time, 8),
            kind: self.hostile(self.kinds()[kind], 8),
        }

    def kinds(self) -> dict[str, Draw]:
        texts = partial(self.text, 40)
        return {
            "message": lambda: self.some_of(
                {
                    "mid": self.id,
                    "text": texts,
                    "is_echo": lambda: self.rng.random() < 0.5,
                    "quick_reply": lambda: self.some_of({"payload": texts}),
                    "attachments": lambda: self.some(self.attachment, 0, 2),
                    "reply_to": lambda: self.some_of({"mid": self.id}),
                    "commands": lambda: self.some(lambda: self.some_of({"name": texts}), 0, 2),
                }
            ),
            "postback": lambda: self.some_of({"title": texts, "payload": texts, "mid": self.id}),
            "delivery": lambda: self.some_of(
                {"mids": lambda: self.some(self.id, 0, 3), "watermark": self.time}
            ),
            "read": lambda: self.some_of({"watermark": self.time}),
            "reaction": lambda: self.some_of(
                {
                    "mid": self.id,
                    "reaction": texts,
                    "emoji": texts,
                    "action": lambda: self.rng.choice(["react", "unreact"]),
                }
            ),
        }

    def attachment(self) -> dict[str, Any]:
        kinds = ["image", "audio", "video", "file", "fallback"]
        return self.some_of(
            {
                "type": lambda: self.rng.choice(kinds),
                "payload": lambda: self.some_of({"url": partial(self.text, 40)}),
            }
        )

    def template_review(self) -> dict[str, Any]:
        fields = ["messenger_template_status_update", "message_template_status_update", "feed"]
        return self.some_of(
            {
                "field": lambda: self.rng.choice(fields),
                "value": lambda: self.some_of(
                    {
                        "message_template_name": partial(self.text, 40),
                        "event": lambda: self.rng.choice(["APPROVED", "REJECTED", "PAUSED"]),
                        "message_template_language": partial(self.text, 40),
                        "reason": partial(self.text, 40),
                    }
                ),
            },
            8,
        )
