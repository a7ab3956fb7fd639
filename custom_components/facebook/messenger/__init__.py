"""Messenger Platform client: the Graph Send API, message building, pacing and webhooks.

No Home Assistant here: the standard library, aiohttp and this package only, so it could be
published on its own. The integration around it (the parent package) is the Home Assistant glue.
"""

from __future__ import annotations
