"""The MIME type a file is uploaded with: Meta refuses a mismatch (100/2018047)."""

from __future__ import annotations

import mimetypes
from typing import Final

from .errors import MessageError

# The MIME family each attachment type must have.
FAMILIES: Final = {"image": "image/", "video": "video/", "audio": "audio/"}


def upload_content_type(kind: str, filename: str, header: str | None = None) -> str:
    """The server's type, else one guessed from the name; checked against the attachment type."""
    declared = (header or "").split(";")[0].strip().lower()
    guessed = mimetypes.guess_type(filename)[0]
    family = FAMILIES.get(kind)
    candidates = [t for t in (declared, guessed) if t and t != "application/octet-stream"]
    if family is None:
        return candidates[0] if candidates else "application/octet-stream"
    for candidate in candidates:
        if candidate.startswith(family):
            return candidate
    found = candidates[0] if candidates else "of unknown type"
    raise MessageError(
        f"{kind} {filename} is {found}, not {family[:-1]}; send it as file, or use a file "
        f"with a {family[:-1]} extension"
    )
