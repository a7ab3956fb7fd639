"""What the control API needs from a simulator, as a ``Protocol``.

:mod:`.control` is typed against this instead of the :class:`~simulator.core.Simulator`, so the
route module never imports the class that registers it.
"""

from __future__ import annotations

from typing import Any, Protocol

from .config import SimConfig
from .faults import Fault
from .recording import RecordedRequest, SentMessage, WebhookPost
from .state import AppSubscription, MessageRef, SimAdmin, SimPage, SimTemplate, SimToken, SimUser


class SimulatorApi(Protocol):
    """The simulator's Python API as the control routes use it."""

    config: SimConfig

    @property
    def pages(self) -> dict[str, SimPage]:
        """Pages by id."""

    @property
    def users(self) -> dict[str, SimUser]:
        """Users by PSID."""

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every Graph request."""

    @property
    def sent(self) -> list[SentMessage]:
        """Every accepted send."""

    @property
    def webhook_posts(self) -> list[WebhookPost]:
        """Every webhook post."""

    @property
    def pending_faults(self) -> list[Fault]:
        """Faults waiting for a matching call."""

    @property
    def verification(self) -> dict[str, Any] | None:
        """The last handshake with the webhook URL."""

    @property
    def clock_offset(self) -> float:
        """Seconds added to wall time."""

    def now(self) -> float:
        """Simulated epoch seconds."""

    def advance(self, seconds: float) -> None:
        """Move the simulated clock."""

    def clear(self) -> None:
        """Forget recordings, faults, rate windows and usage."""

    def clear_faults(self) -> None:
        """Drop pending faults."""

    def random_challenge(self) -> str:
        """A handshake challenge from the simulator's seeded random source."""

    def add_page(self, *args: Any, **kwargs: Any) -> SimPage:
        """Add or replace a page."""

    def add_user(self, *args: Any, **kwargs: Any) -> SimUser:
        """Add or replace a person."""

    def set_usage(
        self, call_count: int | None = None, estimated_time_to_regain_access: int | None = None
    ) -> None:
        """Override the usage headers."""

    def inject_error(self, *args: Any, **kwargs: Any) -> Fault:
        """Queue a Graph error."""

    def inject_http_status(self, *args: Any, **kwargs: Any) -> Fault:
        """Queue a bare HTTP failure."""

    def inject_disconnect(self, *args: Any, **kwargs: Any) -> Fault:
        """Queue a dropped connection."""

    def inject_delay(self, *args: Any, **kwargs: Any) -> Fault:
        """Queue a delay."""

    async def verify_webhook(
        self, url: str, verify_token: str, *, challenge: str | int | None = None
    ) -> tuple[int, str]:
        """Meta's GET handshake."""

    async def user_says(self, psid: str, text: str) -> tuple[int, str]:
        """The person writes."""

    async def user_sends_attachment(
        self, psid: str, kind: str, data: bytes, content_type: str, name: str = "file"
    ) -> tuple[int, str]:
        """The person sends a file (see ``Simulator.user_sends_attachment``)."""

    async def user_taps_grid_image(self, psid: str, message_id: str, index: int) -> tuple[int, str]:
        """The person taps a picture of an image grid."""

    async def user_taps_quick_reply(self, psid: str, title: str, payload: str) -> tuple[int, str]:
        """The person taps a quick reply."""

    async def user_taps_button(self, psid: str, title: str, payload: str) -> tuple[int, str]:
        """The person taps a postback button."""

    async def user_reacts(self, psid: str, mid: str, emoji: str) -> tuple[int, str]:
        """The person reacts to a page message."""

    async def user_replies(self, psid: str, mid: str, text: str) -> tuple[int, str]:
        """The person answers quoting a message."""

    async def user_taps_menu(self, psid: str, title: str) -> tuple[int, str]:
        """The person taps a persistent-menu item."""

    async def user_taps_ice_breaker(self, psid: str, question: str) -> tuple[int, str]:
        """The person taps an ice breaker."""

    async def user_taps_get_started(self, psid: str) -> tuple[int, str]:
        """The person taps Get Started."""

    async def user_sends_command(self, psid: str, name: str) -> tuple[int, str]:
        """The person chooses a command."""

    def age_user(self, psid: str, seconds: float) -> None:
        """Move the person's last message into the past."""

    def add_admin(self, *args: Any, **kwargs: Any) -> SimAdmin:
        """Add a page admin."""

    def issue_user_token(self, *args: Any, **kwargs: Any) -> str:
        """Issue a user token."""

    def set_template_status(self, *args: Any, **kwargs: Any) -> SimTemplate:
        """Switch a template's status."""

    def profile(self, page_id: str | None = None) -> dict[str, Any]:
        """A page's Messenger Profile."""

    @property
    def tokens(self) -> dict[str, SimToken]:
        """The token registry."""

    def token_status(self, token: str) -> str:
        """valid, expired or invalidated."""

    @property
    def admins(self) -> dict[str, SimAdmin]:
        """Page admins by user id."""

    @property
    def templates(self) -> dict[str, SimTemplate]:
        """Utility templates by id."""

    def subscription(self, page_id: str | None = None) -> dict[str, Any]:
        """A page's webhook subscription."""

    def drop_subscription(self, page_id: str | None = None) -> None:
        """Unsubscribe the app from a page now."""

    @property
    def app_subscriptions(self) -> dict[tuple[str, str], AppSubscription]:
        """The apps' webhooks."""

    def set_app_subscription_active(self, app_id: str, active: bool, obj: str = "page") -> None:
        """(In)activate an app's webhook."""

    @property
    def verifications(self) -> list[dict[str, Any]]:
        """The verification GETs sent for app webhooks."""

    def set_remote_size(self, url: str, size: int) -> None:
        """How big the file behind a URL is."""

    def conversation(self, psid: str) -> list[MessageRef]:
        """The messages between a person and their page."""

    @property
    def ui_setup(self) -> dict[str, str] | None:
        """The credentials a UI setup needs, when the simulator offers them."""
