"""Webhook bodies for the fuzz tests, drawn where the parser can break.

Meta's own shapes, with every field the parser reads (reply_to, commands, template reviews
included), where any value may be anything at all: a field's value often (one time in two), the
envelope around it (body, entry, event, sender) seldom, so that most draws reach deep into the
parser before they turn hostile. A missing type check shows up within a few hundred draws.

One description of the shapes, drawn from a `random.Random`: seeded for the 10,000-body runs
(about a hundred times cheaper a body than a hypothesis strategy), or hypothesis's own
`st.randoms()`, which shrinks what it finds.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
import json
import os
import random
import string
from typing import Any

PAGE_ID = "1000000000000001"
PEOPLE = ["6543210987654321", "1234567890123456"]  # Alice and Bob (allowed in the tests)


Draw = Callable[[], Any]
# Seeded: a body that breaks something is found again by its seed (FB_FUZZ_SEED to try others).
FUZZ_SEED = int(os.environ.get("FB_FUZZ_SEED", "20261207"))
CHARS = string.ascii_letters + string.digits + string.punctuation + " \n\t\0é中\u202e🙂\ufeff"
NUMBERS = (0, -1, 1, 2**31, 2**53 + 1, 2**63, -(2**63), 10**30, 1.5, -0.0, 1e308, float("inf"))


def random_bodies(count: int, seed: int) -> list[bytes]:
    """`count` hostile bodies: a third Meta's shapes with hostile values, the rest near-valid
    events, any JSON at all, or bytes that are not JSON."""
    draw = HostileDraws(random.Random(seed))
    return [draw.body() for _ in range(count)]


class HostileDraws:
    """Bodies of Meta's shapes with hostile values, drawn from `rng`."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def body(self) -> bytes:
        """Raw bytes as posted: one time in ten not JSON at all."""
        if self.rng.random() < 0.1:
            return self.rng.randbytes(self.rng.randrange(300))
        return json.dumps(self.value(), ensure_ascii=self.rng.random() < 0.5).encode()

    def value(self) -> Any:
        """A parsed body: any JSON, Meta's envelope, or the envelope made hostile."""
        roll = self.rng.random()
        if roll < 0.11:
            return self.anything()
        if roll < 0.5:
            return self.envelope()
        return self.hostile(self.envelope)

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
