"""Several pictures in one message: `data.images` (an album) and `data.grid` (the image grid).

Pure code: a call's `images` and `grid` are validated here before anything is fetched or sent,
each error naming the field, and the Send API messages are built once the pictures are in.

- An album is `message.attachments`: "The only media type allowed is an image, and it is
  limited to 30 images at once" (Send a Message, updated May 5, 2026:
  https://developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages).
  Whether an item may carry an `attachment_id` instead of a `url` is UNCONFIRMED: where Meta
  refuses it, the pictures go one message each (`fanout.deliver_one`).
- The image grid is a template with exactly one element: 2 to 6 images (`url` required, at most
  one `is_hero_image`, an optional `web_url` or `postback` action, a postback needing `text`),
  `title` up to 45 characters, `subtitle` up to 80, up to 3 URL or postback buttons.
  https://developers.facebook.com/documentation/business-messaging/messenger-platform/send-messages/template/image-grid
  (updated Jun 30, 2026). Meta wants public URLs there (an `attachment_id` is UNCONFIRMED), so
  local files and snapshots are served to Meta by the glue at short-lived signed URLs.
"""

from __future__ import annotations

from typing import Final

from . import checks
from .const import BUTTONS_MAX
from .errors import MessageError
from .models import AlbumRequest, GridImage, GridRequest, JSONDict, MediaRequest

KEY_IMAGES: Final = "images"
KEY_GRID: Final = "grid"
ALBUM_MIN: Final = 2
ALBUM_MAX: Final = 30
GRID_MIN: Final = 2
GRID_MAX: Final = 6
GRID_TITLE_MAX: Final = 45
GRID_SUBTITLE_MAX: Final = 80
GRID_TEXT_MAX: Final = 640  # a postback's `text` (the person's reply): UNCONFIRMED limit
_GRID_KEYS = ("images", "title", "subtitle", "buttons")
_IMAGE_KEYS = ("image", "hero", "payload", "text", "url")


def picture_source(where: str, value: object) -> MediaRequest:
    """One picture: an http(s) URL (Meta fetches it), a `camera.*` entity, or a local path."""
    if not isinstance(value, str) or not value.strip():
        raise MessageError(f"{where} must be a URL, a file path or a camera entity id")
    value = value.strip()
    if checks.URL.match(value):
        return MediaRequest("image", "url", value)
    if "://" in value:
        raise MessageError(f"{where} URL must be http or https: {value}")
    if value.startswith("camera."):
        return MediaRequest("image", "camera", value)
    return MediaRequest("image", "path", value)


def album_request(value: object) -> AlbumRequest:
    """`data.images`: 2 to 30 pictures for one message."""
    if not isinstance(value, list):
        raise MessageError(
            f"images must be a list of {ALBUM_MIN} to {ALBUM_MAX} URLs, paths or cameras"
        )
    if not ALBUM_MIN <= len(value) <= ALBUM_MAX:
        raise MessageError(
            f"images has {len(value)} items; one message takes {ALBUM_MIN} to {ALBUM_MAX} "
            "(for one picture use image or camera)"
        )
    return AlbumRequest(tuple(picture_source(f"images[{i}]", item) for i, item in enumerate(value)))


def grid_request(value: object) -> GridRequest:
    """`data.grid`: the image grid, validated against Meta's limits."""
    if not isinstance(value, dict):
        raise MessageError("grid must be a mapping with images (and title, subtitle, buttons)")
    checks.check_keys("grid", value, _GRID_KEYS)
    images = value.get("images")
    if not isinstance(images, list) or not GRID_MIN <= len(images) <= GRID_MAX:
        count = len(images) if isinstance(images, list) else "no"
        raise MessageError(
            f"grid.images has {count} items; the grid takes {GRID_MIN} to {GRID_MAX}"
        )
    parsed = tuple(_grid_image(f"grid.images[{i}]", item) for i, item in enumerate(images))
    if sum(image.hero for image in parsed) > 1:
        raise MessageError("grid.images: at most one image may be the hero (hero: true)")
    return GridRequest(
        images=parsed,
        title=_text("grid.title", value.get("title"), GRID_TITLE_MAX),
        subtitle=_text("grid.subtitle", value.get("subtitle"), GRID_SUBTITLE_MAX),
        buttons=_grid_buttons(value.get("buttons")),
    )


def _text(where: str, value: object, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise MessageError(f"{where} must be text")
    text = str(value)
    if len(text) > limit:
        raise MessageError(f"{where} is {len(text)} characters; the limit is {limit}")
    return text or None


def _grid_image(where: str, item: object) -> GridImage:
    if not isinstance(item, dict):
        item = {"image": item}
    checks.check_keys(where, item, _IMAGE_KEYS)
    source = picture_source(f"{where}.image", item.get("image"))
    hero = item.get("hero", False)
    if not isinstance(hero, bool):
        raise MessageError(f"{where}.hero must be true or false")
    if "payload" in item and "url" in item:
        raise MessageError(f"{where} takes a payload (postback) or a url (link), not both")
    action: JSONDict | None = None
    if "url" in item:
        action = {"type": "web_url", "url": checks.url(f"{where}.url", item["url"])}
    elif "payload" in item:
        payload = checks.payload(f"{where}.payload", item["payload"])
        text = _text(f"{where}.text", item.get("text"), GRID_TEXT_MAX)
        if not text:
            raise MessageError(
                f"{where} needs a text with its payload: Messenger shows it as the person's reply"
            )
        action = {"type": "postback", "payload": payload, "text": text}
    elif "text" in item:
        raise MessageError(f"{where}.text goes with a payload")
    return GridImage(source, hero, action)


def _grid_buttons(value: object) -> tuple[JSONDict, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not value or len(value) > BUTTONS_MAX:
        raise MessageError(f"grid.buttons must be a list of 1 to {BUTTONS_MAX} buttons")
    return tuple(checks.button(f"grid.buttons[{index}]", item) for index, item in enumerate(value))


def album_message(attachments: list[JSONDict], fields: JSONDict | None = None) -> JSONDict:
    """The `message` of an album: its image attachments, in order."""
    return {"attachments": attachments, **(fields or {})}


def grid_message(grid: GridRequest, urls: list[str], fields: JSONDict | None = None) -> JSONDict:
    """The `message` of an image grid, its pictures at `urls` (in the grid's order)."""
    images = []
    for image, url in zip(grid.images, urls, strict=True):
        item: JSONDict = {"url": url}
        if image.hero:
            item["is_hero_image"] = True
        if image.action is not None:
            item["action"] = dict(image.action)
        images.append(item)
    element: JSONDict = {"images": images}
    if grid.title:
        element["title"] = grid.title
    if grid.subtitle:
        element["subtitle"] = grid.subtitle
    if grid.buttons:
        element["buttons"] = [dict(button) for button in grid.buttons]
    payload = {"template_type": "image_grid", "elements": [element]}
    return {"attachment": {"type": "template", "payload": payload}, **(fields or {})}
