"""Every message the integration shows is translated, and every translation is used.

Read from the source (no Home Assistant needed): each `translation_key="..."` literal, each
library error's `key`, and the placeholders each raise passes, against translations/en.json.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
import json
from pathlib import Path
import re
import string

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
