"""`scripts/sandbox.py`: the camera entry seed, the frontend check, the readiness wait."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
import importlib.util
import json
from pathlib import Path
import subprocess
import sys

import pytest

from simulator import Simulator
from tests.simulator.helpers import VERIFY_TOKEN, Receiver, make_sim, receiving

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "sandbox.py"
_SPEC = importlib.util.spec_from_file_location("sandbox", SCRIPT)
assert _SPEC is not None and _SPEC.loader is not None
sandbox = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(sandbox)


@pytest.fixture
async def sim(socket_enabled: None) -> AsyncIterator[Simulator]:
    """A started simulator (the same as tests/simulator's)."""
    simulator = make_sim(seed=1234)
    await simulator.start()
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
async def receiver(socket_enabled: None) -> AsyncIterator[Receiver]:
    """A webhook receiver that passes the handshake."""
    async with receiving() as state:
        yield state


def entries(config: Path) -> list[dict[str, object]]:
    document = json.loads((config / ".storage" / "core.config_entries").read_text())
    return list(document["data"]["entries"])


def test_seed_creates_the_oldest_storage_format(tmp_path: Path) -> None:
    assert sandbox.seed(tmp_path) == "created"
    document = json.loads((tmp_path / ".storage" / "core.config_entries").read_text())
    assert (document["version"], document["minor_version"]) == (1, 1)
    assert document["key"] == "core.config_entries"
    (entry,) = document["data"]["entries"]
    assert entry["domain"] == "local_file"
    assert entry["options"] == {
        "name": "Front door",
        "file_path": str(tmp_path.resolve() / "www" / "front_door.jpg"),
    }
    # Keys that later storage versions added are left to Home Assistant's migration.
    assert not {"created_at", "modified_at", "discovery_keys", "subentries"} & set(entry)
    assert sandbox.seed(tmp_path) == "unchanged"


def test_seed_follows_a_moved_sandbox(tmp_path: Path) -> None:
    first, moved = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    sandbox.seed(first)
    # Home Assistant has since migrated the file and added its own entries.
    document = json.loads((first / ".storage" / "core.config_entries").read_text())
    document["minor_version"] = 5
    document["data"]["entries"].append({"entry_id": "x", "domain": "backup", "options": {}})
    (first / ".storage" / "core.config_entries").write_text(json.dumps(document))
    first.rename(moved)
    assert sandbox.seed(moved) == "updated"
    camera, backup = entries(moved)
    assert camera["options"] == {
        "name": "Front door",
        "file_path": str(moved.resolve() / "www" / "front_door.jpg"),
    }
    assert backup["domain"] == "backup"
    assert sandbox.seed(moved) == "unchanged"


def test_seed_leaves_foreign_storage_alone(tmp_path: Path) -> None:
    storage = tmp_path / ".storage" / "core.config_entries"
    storage.parent.mkdir()
    original = json.dumps({"version": 1, "minor_version": 5, "data": {"entries": []}})
    storage.write_text(original)
    assert sandbox.seed(tmp_path) == "missing"
    assert storage.read_text() == original
    result = subprocess.run(  # noqa: S603 - our own module
        [sys.executable, str(SCRIPT), "seed", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "add a 'Local file' camera named Front door" in result.stderr


def manifest_requirements(domain: str) -> list[str]:
    from homeassistant import components

    path = Path(components.__path__[0]) / domain / "manifest.json"
    return list(json.loads(path.read_text())["requirements"])


def registry(config: Path) -> dict[str, object]:
    return dict(json.loads((config / ".storage" / "core.entity_registry").read_text()))


def test_expose_writes_the_hall_light_exposed_to_assist(tmp_path: Path) -> None:
    assert sandbox.expose(tmp_path) == "created"
    document = registry(tmp_path)
    assert (document["version"], document["minor_version"]) == (1, 5)
    (entity,) = document["data"]["entities"]  # type: ignore[index]
    assert (entity["entity_id"], entity["platform"]) == (
        "input_boolean.hall_light",
        "input_boolean",
    )
    assert entity["options"] == {"conversation": {"should_expose": True}}
    assert sandbox.expose(tmp_path) == "unchanged"


def test_expose_keeps_the_users_own_choice(tmp_path: Path) -> None:
    storage = tmp_path / ".storage" / "core.entity_registry"
    storage.parent.mkdir()
    light = {"entity_id": "input_boolean.hall_light", "options": {"cloud": {"x": 1}}}
    other = {"entity_id": "light.porch", "options": {}}
    storage.write_text(json.dumps({"data": {"entities": [light, other]}}))
    assert sandbox.expose(tmp_path) == "updated"
    light_now, other_now = registry(tmp_path)["data"]["entities"]  # type: ignore[index]
    assert light_now["options"] == {"cloud": {"x": 1}, "conversation": {"should_expose": True}}
    assert other_now == other
    light_now["options"]["conversation"]["should_expose"] = False  # the user turned it off
    storage.write_text(json.dumps({"data": {"entities": [light_now]}}))
    assert sandbox.expose(tmp_path) == "unchanged"
    assert not registry(tmp_path)["data"]["entities"][0]["options"]["conversation"]["should_expose"]  # type: ignore[index]
    storage.write_text(json.dumps({"data": {"entities": [other]}}))
    assert sandbox.expose(tmp_path) == "missing"


def test_missing_requirements(monkeypatch: pytest.MonkeyPatch) -> None:
    from importlib import metadata

    wanted = [r for d in sandbox.NEEDED_INTEGRATIONS for r in manifest_requirements(d)]
    assert sandbox.NEEDED_INTEGRATIONS == ("frontend", "camera", "conversation")
    assert any(r.startswith("home-assistant-frontend==") for r in wanted)
    pinned = dict(r.split("==") for r in wanted)

    monkeypatch.setattr(metadata, "version", lambda name: pinned[name])
    assert sandbox.missing_requirements() == []

    def missing(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", missing)
    assert sandbox.missing_requirements() == wanted
    monkeypatch.setattr(metadata, "version", lambda name: "0.0.1")  # installed, other version
    assert sandbox.missing_requirements() == wanted
    assert sandbox.missing_requirements(("http",)) == []  # no requirements at all


def test_install_requirements(monkeypatch: pytest.MonkeyPatch) -> None:
    commands: list[list[str]] = []
    answers: list[int] = []

    def run(command: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        return subprocess.CompletedProcess(command, answers.pop(0), "", "uv: no certificate")

    monkeypatch.setattr(subprocess, "run", run)
    monkeypatch.setattr(sandbox, "missing_requirements", lambda: ["pkg==1"])
    answers[:] = [2, 0]  # uv fails, pip works
    assert sandbox.install_requirements() == ["pkg==1"]
    assert [c[2] for c in commands] == ["uv", "pip"]
    assert all(c[-1] == "pkg==1" for c in commands)
    answers[:] = [2, 1]
    with pytest.raises(RuntimeError, match="could not install pkg==1: uv: no certificate"):
        sandbox.install_requirements()
    monkeypatch.setattr(sandbox, "missing_requirements", list)
    commands.clear()
    assert sandbox.install_requirements() == []
    assert commands == []


async def test_wait(sim: Simulator, receiver: Receiver) -> None:
    # Nothing verified yet: time runs out.
    assert await asyncio.to_thread(sandbox.wait, sim.url, 0.3, []) == 1
    # A process that is gone: said at once.
    gone = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await gone.wait()
    assert await asyncio.to_thread(sandbox.wait, sim.url, 30, [gone.pid]) == 3
    # Verified: ready.
    sim.webhook_url = receiver.url
    await sim.verify_webhook(receiver.url, VERIFY_TOKEN)
    assert await asyncio.to_thread(sandbox.wait, sim.url, 30, []) == 0
    # Nobody listening at the URL counts as not verified.
    assert sandbox.verification("http://127.0.0.1:9") is None


async def test_banner_says_who_writes_where_and_what_the_ui_setup_asks(
    sim: Simulator, tmp_path: Path
) -> None:
    from simulator.__main__ import ui_setup

    (tmp_path / "configuration.yaml").write_text('allowed_chat_ids:\n  Alice: "6543210987654321"\n')
    lines = await asyncio.to_thread(sandbox.banner, sim.url, tmp_path)
    text = "\n".join(line.strip() for line in lines)
    assert f"Alice and Bob write to Home, which {tmp_path.name}/ sets up in YAML;" in text
    assert "Carol writes to Cabin, once you set it up in the UI;" in text
    assert "UI setup" not in text  # this simulator offers none
    sim.add_admin()
    ui_setup(sim, "EAAbannerdemotoken")
    lines = await asyncio.to_thread(sandbox.banner, sim.url, tmp_path)
    text = "\n".join(line.strip() for line in lines)
    assert "Access token   EAAbannerdemotoken" in text
    assert "App secret     test-app-secret" in text
    assert f"App ID         {sim.ui_setup['app_id']}" in text
    assert f"Graph API URL  {sim.url}" in text
    assert "Advanced mode on in your profile" in text
    assert "then pick the page Cabin, and Carol." in text
    # No simulator answering: only what needs none.
    assert sandbox.banner("http://127.0.0.1:9", tmp_path)[0].strip() == (
        "(pick who you are on the left:"
    )


def test_skip_onboarding_steps_only_on_a_fresh_configuration(tmp_path: Path) -> None:
    assert sandbox.skip_onboarding_steps(tmp_path) == "created"
    document = json.loads((tmp_path / ".storage" / "onboarding").read_text())
    assert (document["version"], document["key"]) == (4, "onboarding")
    # The owner's account (user) and the final step (integration) are left to the first visit.
    assert document["data"] == {"done": ["core_config", "analytics"]}
    onboarded = {"version": 4, "minor_version": 1, "key": "onboarding", "data": {"done": []}}
    (tmp_path / ".storage" / "onboarding").write_text(json.dumps(onboarded))
    assert sandbox.skip_onboarding_steps(tmp_path) == "unchanged"
    assert json.loads((tmp_path / ".storage" / "onboarding").read_text()) == onboarded
