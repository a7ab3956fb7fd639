"""Every message the integration shows is translated, every translation is used, and every
translation file passes hassfest's rules for keys and strings.

Read from the source: each `translation_key="..."` literal, each library error's `key`, and the
placeholders each raise passes, against translations/en.json.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
import json
from pathlib import Path
import re
import string

import pytest

from custom_components.facebook.messenger import errors, outbox
from custom_components.facebook.messenger.errors import MessengerError

PACKAGE = Path(__file__).resolve().parents[1] / "custom_components" / "facebook"
STRINGS = json.loads((PACKAGE / "translations" / "en.json").read_text(encoding="utf-8"))
EXCEPTIONS: dict[str, dict[str, str]] = STRINGS["exceptions"]


def sources() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def error_keys() -> set[str]:
    found: set[str] = set()
    pending: list[type[MessengerError]] = [MessengerError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls is not MessengerError:
            found.add(cls.key)
    assert errors and outbox  # OutboxFull lives in outbox: imported, so it is counted
    return found


def keyword_calls() -> Iterator[tuple[Path, dict[str, ast.expr]]]:
    """Every call in the source with a `translation_key=` keyword, as its keywords."""
    for path, tree in sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                keywords = {k.arg: k.value for k in node.keywords if k.arg}
                if "translation_key" in keywords:
                    yield path, keywords


def placeholders_of(message: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(message) if name}


def test_every_literal_translation_key_exists_with_its_placeholders() -> None:
    seen = 0
    for path, keywords in keyword_calls():
        key = keywords["translation_key"]
        if not isinstance(key, ast.Constant) or "translation_domain" not in keywords:
            continue  # issues use their own section; computed keys are the error keys below
        seen += 1
        assert key.value in EXCEPTIONS, f"{path.name}: {key.value} is not translated"
        given = keywords.get("translation_placeholders")
        if isinstance(given, ast.Dict):
            names = {k.value for k in given.keys if isinstance(k, ast.Constant)}
            if not any(k is None for k in given.keys):  # no **spread: the names are all here
                wanted = placeholders_of(EXCEPTIONS[key.value]["message"])
                assert wanted <= names, f"{path.name}: {key.value} needs {wanted - names}"
    assert seen >= 5


def test_every_kind_of_library_error_has_a_message() -> None:
    missing = error_keys() - set(EXCEPTIONS)
    assert not missing, f"no translation for the library errors {sorted(missing)}"


def test_every_translation_is_used() -> None:
    text = "\n".join(path.read_text(encoding="utf-8") for path, _ in sources())
    literals = set(re.findall(r'"([a-z_]+)"', text))
    unused = set(EXCEPTIONS) - literals - error_keys()
    assert not unused, f"translations nothing raises: {sorted(unused)}"


def test_every_issue_is_translated() -> None:
    assert set(STRINGS["issues"]) >= {"token_expires", "unauthenticated_webhook"}
    for issue in STRINGS["issues"].values():
        assert issue["title"] and issue["description"]


# hassfest (script/hassfest/translations.py in Home Assistant's repository, which the hassfest
# GitHub action runs) checks every translation file of a custom integration against a schema:
# keys at these places must be translation keys (lowercase letters, digits, `-` and `_`, neither
# of those two at either end nor twice in a row) or slugs, and no string may contain HTML
# (`cv.string_with_no_html`: anything like `<name>` counts). `*` stands for any key.
TRANSLATION_KEY_PLACES = (
    ("selector", "*", "options"),
    ("selector", "*", "choices"),
    ("selector", "*", "unit_of_measurement"),
    ("selector", "*", "fields"),
    ("entity", "*"),
    ("entity", "*", "*", "state"),
    ("entity", "*", "*", "state_attributes"),
    ("entity", "*", "*", "state_attributes", "*", "state"),
    ("device",),
    ("services",),
    ("services", "*", "fields"),
    ("services", "*", "sections"),
)
SLUG_PLACES = (("selector",), ("entity",), ("exceptions",), ("config_subentries",))
TRANSLATION_KEY = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
TRANSLATION_FILES = sorted((PACKAGE / "translations").glob("*.json"))


def keys_and_strings(
    node: object, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], str | None, str | None]]:
    """(where, key, None) for every key and (where, None, text) for every string, depth first."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield path, key, None
            yield from keys_and_strings(value, (*path, key))
    elif isinstance(node, str):
        yield path, None, node


def placed(path: tuple[str, ...], places: tuple[tuple[str, ...], ...]) -> bool:
    """Whether `path` is one of `places` (`*`: any key)."""
    return any(
        len(place) == len(path)
        and all(want in ("*", part) for want, part in zip(place, path, strict=True))
        for place in places
    )


def test_there_is_an_english_translation() -> None:
    assert PACKAGE / "translations" / "en.json" in TRANSLATION_FILES


@pytest.mark.parametrize("path", TRANSLATION_FILES, ids=lambda path: path.name)
def test_hassfest_accepts_the_keys_and_strings(path: Path) -> None:
    from homeassistant.helpers import config_validation as cv
    import voluptuous as vol

    bad: list[str] = []
    for where, key, text in keys_and_strings(json.loads(path.read_text(encoding="utf-8"))):
        name = ".".join(where)
        if key is not None and placed(where, TRANSLATION_KEY_PLACES):
            if not TRANSLATION_KEY.fullmatch(key):
                bad.append(f"{name}: {key!r} is not a translation key ([a-z0-9-_]+)")
        elif key is not None and placed(where, SLUG_PLACES) and key != "_":
            try:
                cv.slug(key)
            except vol.Invalid as err:
                bad.append(f"{name}: {err}")
        if text is not None:
            try:
                cv.string_with_no_html(text)
            except vol.Invalid:
                bad.append(f"{name}: HTML (or something like it, such as <name>) in {text!r}")
    assert not bad, f"hassfest would refuse {path.name}:\n" + "\n".join(bad)


LANGUAGES = ("de", "es", "fr", "it", "nl", "pl", "pt-BR", "hu", "vi", "id", "th")


def strings_of(node: object, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], str]:
    """Every string of a translation file by where it is."""
    if isinstance(node, dict):
        found: dict[tuple[str, ...], str] = {}
        for key, value in node.items():
            found.update(strings_of(value, (*path, key)))
        return found
    return {path: str(node)}


def test_every_language_is_there() -> None:
    names = {path.stem for path in TRANSLATION_FILES}
    assert names >= {"en", *LANGUAGES}


@pytest.mark.parametrize(
    "path", [p for p in TRANSLATION_FILES if p.stem != "en"], ids=lambda path: path.name
)
def test_a_language_has_every_key_and_placeholder_of_english(path: Path) -> None:
    english = strings_of(STRINGS)
    other = strings_of(json.loads(path.read_text(encoding="utf-8")))
    missing = sorted(".".join(where) for where in english.keys() - other.keys())
    extra = sorted(".".join(where) for where in other.keys() - english.keys())
    assert not missing, f"{path.name} lacks {missing}"
    assert not extra, f"{path.name} has keys English does not: {extra}"
    wrong = [
        f"{'.'.join(where)}: {sorted(placeholders_of(text))} for "
        f"{sorted(placeholders_of(english[where]))}"
        for where, text in other.items()
        if placeholders_of(text) != placeholders_of(english[where])
    ]
    assert not wrong, f"{path.name} changes placeholders:\n" + "\n".join(wrong)


@pytest.mark.parametrize("path", TRANSLATION_FILES, ids=lambda path: path.name)
def test_strings_keep_hassfest_s_other_rules(path: Path) -> None:
    """No URL in a string (they go in description placeholders), no placeholder in single
    quotes, no space at either end."""
    bad = []
    for where, text in strings_of(json.loads(path.read_text(encoding="utf-8"))).items():
        name = ".".join(where)
        if re.search(r"https?://", text):
            bad.append(f"{name}: a URL")
        if re.search(r"'\{[a-z_]+\}'", text):
            bad.append(f"{name}: a placeholder in single quotes")
        if text != text.strip():
            bad.append(f"{name}: spaces at an end")
    assert not bad, f"hassfest would refuse {path.name}:\n" + "\n".join(bad)
