"""Graph API versions as Meta's changelog lists them, and how a requested version is answered.

Meta serves a call to an expired version with the oldest version still available and names the
version that answered in the ``facebook-api-version`` header (Platform Versioning); a version that
never existed is not a path Graph knows (``FIDELITY.md`` F-05, F-06). The table is the changelog's
as of December 2026; it is static so that tests do not depend on the date they run.
"""

from __future__ import annotations

from dataclasses import dataclass
import re

VERSION_RE = re.compile(r"v\d+\.\d+")


@dataclass(frozen=True, slots=True)
class GraphVersion:
    """One Graph API version: when it came out and until when it answers ("" = not set yet)."""

    name: str
    released: str
    available_until: str


# https://developers.facebook.com/docs/graph-api/changelog/versions/ (and the changelog's locale
# copies, which list v26.0); v27.0: Meta's blog post of 2026-11-04. Oldest first.
LIVE = (
    GraphVersion("v21.0", "2024-10-02", "2027-01-21"),
    GraphVersion("v22.0", "2025-01-21", "2027-05-20"),
    GraphVersion("v23.0", "2025-05-29", "2027-10-08"),
    GraphVersion("v24.0", "2025-10-08", "2028-02-18"),
    GraphVersion("v25.0", "2026-02-18", "2028-07-29"),
    GraphVersion("v26.0", "2026-07-29", ""),
    GraphVersion("v27.0", "2026-11-04", ""),
)
# Versions that existed and expired (the changelog's table down to v2.0): Meta serves them with
# the oldest live version.
EXPIRED = frozenset(
    {f"v2.{minor}" for minor in range(13)}
    | {"v3.0", "v3.1", "v3.2", "v3.3"}
    | {f"v{major}.0" for major in range(4, 21)}
)
LIVE_NAMES = tuple(version.name for version in LIVE)
OLDEST_LIVE = LIVE_NAMES[0]


def answering_version(requested: str) -> str | None:
    """The version that answers a call to ``requested`` (None: Meta knows no such version)."""
    if requested in LIVE_NAMES:
        return requested
    if requested in EXPIRED:
        return OLDEST_LIVE
    return None


def check_default(version: str) -> None:
    """The simulator's own default must be a live version."""
    if version not in LIVE_NAMES:
        raise ValueError(f"default_version must be one of {', '.join(LIVE_NAMES)}")
