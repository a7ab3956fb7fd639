"""What the simulated people do in Messenger, each sent as the webhook event Meta sends.

Writing, tapping quick replies and buttons, reacting, quoting a message in a reply, and using
what the page's Messenger Profile offers: the Get Started button, the persistent menu, ice
breakers and commands (``FIDELITY.md`` F-27, F-42, F-43).
"""

from __future__ import annotations

from . import profile
from .state import SimPage
from .webhook import WebhookSender, reaction_name
from .world import World

NO_WEBHOOK = "web_url: no webhook"  # menu links open a webview and send nothing (F-43)


class People:
    """The simulated people's actions, posted through a :class:`WebhookSender`."""

    def __init__(self, world: World, sender: WebhookSender) -> None:
        """Act in ``world``; post through ``sender``."""
        self.world = world
        self.sender = sender

    def _page(self, psid: str) -> SimPage:
        return self.world.state.pages[self.sender.page_of(psid, None)]

    async def says(self, psid: str, text: str) -> tuple[int, str]:
        """``psid`` writes ``text`` to the page."""
        return await self.sender.post_one(self.sender.message_event(psid, text))

    async def taps_quick_reply(self, psid: str, title: str, payload: str) -> tuple[int, str]:
        """A quick-reply tap: a message with the title as text and the payload."""
        event = self.sender.message_event(psid, title, quick_reply_payload=payload)
        return await self.sender.post_one(event)

    async def taps_button(self, psid: str, title: str, payload: str) -> tuple[int, str]:
        """A postback button tap."""
        return await self.sender.post_one(self.sender.postback_event(psid, title, payload))

    async def reacts(self, psid: str, mid: str, emoji: str) -> tuple[int, str]:
        """A reaction to the page's message ``mid``."""
        event = self.sender.reaction_event(psid, mid, reaction_name(emoji), emoji)
        return await self.sender.post_one(event)

    async def replies(self, psid: str, mid: str, text: str) -> tuple[int, str]:
        """A message quoting ``mid`` (the page's or the person's own)."""
        return await self.sender.post_one(self.sender.message_event(psid, text, reply_to=mid))

    async def taps_get_started(self, psid: str) -> tuple[int, str]:
        """The Get Started button: a postback with the profile's payload."""
        get_started = self._page(psid).profile.get("get_started")
        if not isinstance(get_started, dict):
            raise ValueError("the page has no Get Started button")
        return await self.taps_button(psid, "Get Started", str(get_started.get("payload")))

    async def taps_menu(self, psid: str, title: str) -> tuple[int, str]:
        """A persistent-menu item: postback items post, web_url items send nothing."""
        items = profile.default_items(self._page(psid).profile.get("persistent_menu"))
        item = next((i for i in items if i.get("title") == title), None)
        if item is None:
            raise ValueError(f"the persistent menu has no item {title!r}")
        if str(item.get("type", "")).lower() == "web_url":
            return 0, NO_WEBHOOK
        return await self.taps_button(psid, title, str(item.get("payload")))

    async def taps_ice_breaker(self, psid: str, question: str) -> tuple[int, str]:
        """An ice breaker: a postback titled with the question (FIDELITY F-27, UNCONFIRMED)."""
        items = profile.default_items(self._page(psid).profile.get("ice_breakers"))
        item = next((i for i in items if i.get("question") == question), None)
        if item is None:
            raise ValueError(f"the page has no ice breaker {question!r}")
        return await self.taps_button(psid, question, str(item.get("payload")))

    async def sends_command(self, psid: str, name: str) -> tuple[int, str]:
        """A command: the text "/name" and the command's name (FIDELITY F-27, UNCONFIRMED)."""
        commands = profile.default_items(self._page(psid).profile.get("commands"), "commands")
        if not any(c.get("name") == name for c in commands):
            raise ValueError(f"the page has no command {name!r}")
        event = self.sender.message_event(psid, f"/{name}", commands=[name])
        return await self.sender.post_one(event)

    def age(self, psid: str, seconds: float) -> None:
        """Move the person's last message ``seconds`` into the past (their window closes)."""
        self.world.state.users[psid].last_inbound -= seconds
