"""How a typed reply is compared with the answers a question offered.

People type answers the way they talk: "yes!", "  Yes ", "YES", "Oui, ça va". A reply matches an
answer when both read the same once case, accents, punctuation and the spaces around them are
set aside (runs of spaces inside count as one). Symbols such as emoji are kept: an answer that is
only "👍" is matched by "👍", and one that is only punctuation can be tapped but never typed.
"""

from __future__ import annotations

import unicodedata


def normalize_answer(text: str) -> str:
    """`text` as it is compared: case folded, accents and punctuation dropped, spaces tidied."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch)[0] not in "MP")
    return " ".join(kept.split())
