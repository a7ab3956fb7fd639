"""Helpers for the developer sandbox (``scripts/develop``) and the end-to-end tests.

Developer tooling, not part of the simulator: it edits Home Assistant's ``.storage`` and installs
packages. Run it as ``python scripts/sandbox.py COMMAND``.

``python scripts/sandbox.py seed CONFIG_DIR``
    Make sure the sandbox's ``camera.front_door`` exists: a ``local_file`` config entry showing
    ``CONFIG_DIR/www/front_door.jpg``. ``local_file`` has no YAML any more (Home Assistant 2026),
    so the entry is written into ``.storage/core.config_entries`` when that file does not exist
    yet, in the oldest storage format (1.1), which every Home Assistant migrates on load. If the
    file exists, only the picture's path is brought up to date (the sandbox moved).
    It also exposes ``input_boolean.hall_light`` to Assist (see :func:`expose`), so that
    "turn on the hall light" works over Messenger, and marks two of onboarding's steps done (see
    :func:`skip_onboarding_steps`), so that a first visit asks only for an account.
``python scripts/sandbox.py requirements [--install]``
    Print the packages the sandbox needs that the installed Home Assistant's manifests ask for
    and that are missing (one a line); with ``--install``, install them (uv, else pip). They are
    the web interface (``frontend``: Home Assistant treats it as critical and starts in recovery
    mode, with no integration at all, without it) and ``camera`` (the integration lists it in
    ``after_dependencies``, so it does not load when ``camera`` fails to). Their versions follow
    Home Assistant's, which is why they are not pinned anywhere.
``python scripts/sandbox.py wait SIM_URL [--timeout S] [--pid PID ...]``
    Wait until the simulator's webhook handshake with Home Assistant succeeded; exit 1 on
    timeout, 3 if one of the processes died first.
``python scripts/sandbox.py banner SIM_URL CONFIG_DIR``
    The lines of ``scripts/develop``'s final banner about the chat page and the UI setup: who
    writes to which page (the page whose people are in CONFIG_DIR's ``allowed_chat_ids`` is the
    one set up in YAML), and what the UI setup asks for (the simulator's demo user token, app id
    and secret, its URL), so that they do not scroll away with the start-up lines.
"""

# ruff: noqa: T201 - a command-line tool: printing is its output

from __future__ import annotations

import argparse
from importlib import metadata
import json
import os
from pathlib import Path
import re
import subprocess
import sys
import time
from typing import Any
import urllib.error
import urllib.request

ENTRY_ID = "01JSANDBXFR0NTD00RCAMERA00"
CAMERA_NAME = "Front door"
PICTURE = Path("www") / "front_door.jpg"
STORAGE = Path(".storage") / "core.config_entries"


def camera_entry(picture: Path) -> dict[str, Any]:
    """The ``local_file`` entry, with only the keys storage format 1.1 has."""
    return {
        "entry_id": ENTRY_ID,
        "version": 1,
        "domain": "local_file",
        "title": CAMERA_NAME,
        "data": {},
        "options": {"name": CAMERA_NAME, "file_path": str(picture)},
        "pref_disable_new_entities": False,
        "pref_disable_polling": False,
        "source": "user",
        "unique_id": None,
        "disabled_by": None,
    }


def seed(config_dir: Path) -> str:
    """Create or update the camera entry; returns created, updated, unchanged or missing."""
    config_dir = config_dir.resolve()
    picture = config_dir / PICTURE
    storage = config_dir / STORAGE
    if not storage.exists():
        storage.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "version": 1,
            "minor_version": 1,
            "key": "core.config_entries",
            "data": {"entries": [camera_entry(picture)]},
        }
        storage.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        return "created"
    document = json.loads(storage.read_text(encoding="utf-8"))
    for entry in document.get("data", {}).get("entries", []):
        if entry.get("entry_id") == ENTRY_ID:
            if entry.get("options", {}).get("file_path") == str(picture):
                return "unchanged"
            entry.setdefault("options", {})["file_path"] = str(picture)
            storage.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
            return "updated"
    return "missing"


EXPOSED = "input_boolean.hall_light"
REGISTRY = Path(".storage") / "core.entity_registry"


def exposed_entity() -> dict[str, Any]:
    """The hall light's entity registry entry, exposed to Assist, in storage format 1.5.

    Assist's built-in agent acts only on exposed entities and does not expose input_boolean by
    default. An entity with a unique id (every YAML input_boolean has one) keeps that setting
    in its registry entry's options, not in ``homeassistant.exposed_entities`` (which is for
    entities without one). 1.5 is the oldest format with ``options``: Home Assistant adds the
    later keys when it migrates the file on load.
    """
    return {
        "entity_id": EXPOSED,
        "id": "6a11f1a5e0004a5c9a1d5a4db0c5e3f5",
        "platform": "input_boolean",
        "unique_id": EXPOSED.partition(".")[2],
        "options": {"conversation": {"should_expose": True}},
        "area_id": None,
        "capabilities": {},
        "config_entry_id": None,
        "device_class": None,
        "original_device_class": None,
        "device_id": None,
        "disabled_by": None,
        "entity_category": None,
        "icon": None,
        "name": None,
        "original_icon": None,
        "original_name": None,
        "supported_features": 0,
        "unit_of_measurement": None,
    }


def expose(config_dir: Path) -> str:
    """Expose the hall light to Assist; returns created, updated, unchanged or missing.

    Without an entity registry yet, one is written with the hall light's entry. In an existing
    one the entry gets ``should_expose`` unless Assist's setting for it was already made (in
    Settings > Voice assistants > Expose, which is where to change it); a registry without the
    entry is left alone (missing).
    """
    storage = config_dir.resolve() / REGISTRY
    if not storage.exists():
        storage.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "version": 1,
            "minor_version": 5,
            "key": "core.entity_registry",
            "data": {"entities": [exposed_entity()]},
        }
        storage.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        return "created"
    document = json.loads(storage.read_text(encoding="utf-8"))
    for entity in document.get("data", {}).get("entities", []):
        if entity.get("entity_id") == EXPOSED:
            options = entity.setdefault("options", {})
            if "should_expose" in options.get("conversation", {}):
                return "unchanged"
            options["conversation"] = {**options.get("conversation", {}), "should_expose": True}
            storage.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
            return "updated"
    return "missing"


ONBOARDING = Path(".storage") / "onboarding"
# Onboarding's location step sets what configuration.yaml already says, and then sets up
# Google Translate (text to speech, which needs ffmpeg), Met.no (weather, from the internet),
# Radio Browser (internet radio) and a shopping list: none of them is what the sandbox shows,
# and the first three fail here with tracebacks that bury the integration's own lines.
SKIPPED_STEPS = ("core_config", "analytics")


def skip_onboarding_steps(config_dir: Path) -> str:
    """Mark onboarding's location and analytics steps done; returns created or unchanged.

    Only for a configuration that has not been onboarded yet (no ``.storage/onboarding``): the
    first visit then asks for the owner's account and goes on to the dashboard. Written in
    storage format 4 (Home Assistant 2025.4's); later versions migrate it on load.
    """
    storage = config_dir.resolve() / ONBOARDING
    if storage.exists():
        return "unchanged"
    storage.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "version": 4,
        "minor_version": 1,
        "key": "onboarding",
        "data": {"done": list(SKIPPED_STEPS)},
    }
    storage.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return "created"


NEEDED_INTEGRATIONS = ("frontend", "camera", "conversation")


def missing_requirements(integrations: tuple[str, ...] = NEEDED_INTEGRATIONS) -> list[str]:
    """The requirements of these built-in integrations that are not installed as pinned."""
    import homeassistant.components

    base = Path(homeassistant.components.__path__[0])
    missing = []
    for domain in integrations:
        manifest = json.loads((base / domain / "manifest.json").read_text(encoding="utf-8"))
        for requirement in manifest.get("requirements", []):
            name, _, version = requirement.partition("==")
            try:
                installed = metadata.version(name)
            except metadata.PackageNotFoundError:
                installed = None
            if installed is None or (version and installed != version):
                missing.append(requirement)
    return missing


def install_requirements() -> list[str]:
    """Install what :func:`missing_requirements` lists; returns it.

    uv first (fast), then pip, which also honours pip.conf (certificates, indexes) where uv
    may not.
    """
    missing = missing_requirements()
    if not missing:
        return []
    python = sys.executable
    attempts = [
        [python, "-m", "uv", "pip", "install", "-q", "--python", python, *missing],
        [python, "-m", "pip", "install", "-q", "--disable-pip-version-check", *missing],
    ]
    errors = ""
    for command in attempts:
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode == 0:
            return missing
        errors = result.stderr.strip()[-2000:]
    raise RuntimeError(f"could not install {' '.join(missing)}: {errors}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sim_state(sim_url: str) -> dict[str, Any] | None:
    """The simulator's ``/_sim/state`` (None if it does not answer)."""
    try:
        with urllib.request.urlopen(sim_url.rstrip("/") + "/_sim/state", timeout=5) as response:  # noqa: S310 - a URL we were given
            state = json.load(response)
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def verification(sim_url: str) -> dict[str, Any] | None:
    """The simulator's last handshake with its webhook URL (None if none, or no answer)."""
    result = (sim_state(sim_url) or {}).get("verification")
    return result if isinstance(result, dict) else None


def _names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def banner(sim_url: str, config_dir: Path) -> list[str]:
    """The banner's lines after the chat page's URL: who writes to which page, and what the UI
    setup asks for (a label column of 17 characters, as scripts/develop prints the URLs)."""
    state = sim_state(sim_url) or {}
    configuration = (config_dir / "configuration.yaml").read_text(encoding="utf-8")
    in_yaml = set(re.findall(r"""["'](\d{15,17})["']""", configuration))  # allowed_chat_ids
    pad = " " * 17
    lines = [pad + "(pick who you are on the left:"]
    ui_page: dict[str, Any] | None = None
    for page in state.get("pages", []):
        people = [u for u in state.get("users", []) if u.get("page_id") == page["page_id"]]
        if not people:
            continue
        who = _names([str(u["name"]) for u in people]) + (
            " write" if len(people) > 1 else " writes"
        )
        if any(u["psid"] in in_yaml for u in people):
            lines.append(
                f"{pad} {who} to {page['name']}, which {config_dir.name}/ sets up in YAML;"
            )
        else:
            ui_page = ui_page or page
            lines.append(f"{pad} {who} to {page['name']}, once you set it up in the UI;")
    lines.append(pad + ' tap a suggestion, or write "help" or "get my id")')
    setup = state.get("ui_setup")
    if not isinstance(setup, dict):
        return lines
    lines += [
        "",
        "UI setup         Settings > Devices & services > Add integration > Facebook Messenger,",
        pad + "with Advanced mode on in your profile first (for the Graph API URL field):",
        pad + f"  Access token   {setup.get('user_token')}",
        pad + f"  App secret     {setup.get('app_secret') or '(none)'}",
        pad + f"  App ID         {setup.get('app_id')}",
        pad + f"  Graph API URL  {sim_url}",
    ]
    if ui_page is not None:
        people = [str(u["name"]) for u in state["users"] if u.get("page_id") == ui_page["page_id"]]
        lines.append(pad + f"then pick the page {ui_page['name']}, and {_names(people)}.")
    return lines


def wait(sim_url: str, timeout: float, pids: list[int]) -> int:
    """Poll until the handshake succeeded (0), time ran out (1) or a process died (3)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = [pid for pid in pids if not _alive(pid)]
        if dead:
            return 3
        check = verification(sim_url)
        if check is not None and check.get("ok"):
            return 0
        time.sleep(0.25)
    return 1


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(prog="python scripts/sandbox.py", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    seed_parser = commands.add_parser(
        "seed",
        help="write the front door camera's config entry, expose the hall light, skip two "
        "onboarding steps",
    )
    seed_parser.add_argument("config_dir", type=Path)
    requirements_parser = commands.add_parser(
        "requirements", help="print (or --install) the missing packages the sandbox needs"
    )
    requirements_parser.add_argument("--install", action="store_true")
    wait_parser = commands.add_parser("wait", help="wait for the webhook handshake")
    wait_parser.add_argument("sim_url")
    wait_parser.add_argument("--timeout", type=float, default=120.0)
    wait_parser.add_argument("--pid", type=int, action="append", default=[])
    banner_parser = commands.add_parser("banner", help="the final banner's lines about the pages")
    banner_parser.add_argument("sim_url")
    banner_parser.add_argument("config_dir", type=Path)
    args = parser.parse_args(argv)
    if args.command == "banner":
        print("\n".join(banner(args.sim_url, args.config_dir)))
        return 0
    if args.command == "seed":
        skip_onboarding_steps(args.config_dir)
        if expose(args.config_dir) == "missing":
            print(
                f"{args.config_dir / REGISTRY} has no {EXPOSED}; to switch it through Assist, "
                "expose Hall light in Settings > Voice assistants > Expose",
                file=sys.stderr,
            )
        result = seed(args.config_dir)
        if result == "missing":
            print(
                f"{args.config_dir / STORAGE} exists without the sandbox camera; add a "
                f"'Local file' camera named {CAMERA_NAME} showing "
                f"{(args.config_dir / PICTURE).resolve()} in Settings to use 'snapshot'",
                file=sys.stderr,
            )
        return 0
    if args.command == "requirements":
        missing = missing_requirements()
        if not args.install:
            print("\n".join(missing))
            return 0
        if missing:
            print(f"Installing what Home Assistant needs here: {' '.join(missing)}", flush=True)
            try:
                install_requirements()
            except RuntimeError as err:
                print(err, file=sys.stderr)
                return 1
        return 0
    try:
        return wait(args.sim_url, args.timeout, args.pid)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
