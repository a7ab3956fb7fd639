"""`scripts/develop`: one command brings the sandbox up, prints both URLs, and stops it cleanly."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from simulator.__main__ import DEMO_USER_TOKEN
from tests.e2e.harness import (
    ALICE,
    BOB,
    CONFIG,
    CONFIG_FILES,
    ROOT,
    ensure_requirements,
    free_port,
    http,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

DEVELOP = ROOT / "scripts" / "develop"


def copy_committed_config(dest: Path) -> Path:
    """The committed sandbox files only: scripts/develop seeds the camera entry itself."""
    for name in CONFIG_FILES:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CONFIG / name, dest / name)
    return dest


def listening(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:port."""
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_for_output(log: Path, text: str, process: subprocess.Popen[bytes], timeout: float) -> str:
    """Poll the script's output until ``text`` shows up."""
    deadline = time.monotonic() + timeout
    output = ""
    while time.monotonic() < deadline:
        output = log.read_text(encoding="utf-8", errors="replace")
        if text in output:
            return output
        if process.poll() is not None:
            break
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; scripts/develop said:\n{output[-4000:]}")


def test_help() -> None:
    result = subprocess.run(  # noqa: S603 - our own script
        [str(DEVELOP), "--help"], capture_output=True, text=True, check=False, timeout=30
    )
    assert result.returncode == 0
    for option in ("--ha-port", "--sim-port", "--config", "--python", "--skip-pip"):
        assert option in result.stdout
    bad = subprocess.run(  # noqa: S603
        [str(DEVELOP), "--bogus"], capture_output=True, text=True, check=False, timeout=30
    )
    assert bad.returncode == 2
    assert "unknown option --bogus" in bad.stderr


def test_refuses_a_shadowing_custom_components(tmp_path: Path) -> None:
    config = copy_committed_config(tmp_path / "config")
    (config / "custom_components" / "facebook").mkdir(parents=True, exist_ok=True)
    result = subprocess.run(  # noqa: S603
        [str(DEVELOP), "--python", sys.executable, "--config", str(config)],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    assert result.returncode == 1
    assert "custom_components/facebook exists" in result.stderr
    assert not (config / ".storage").exists()  # it stopped before starting anything


def greeted(sim_port: int, timeout: float = 60.0) -> set[str]:
    """Who the start-up greeting reached (it runs once Home Assistant has started, which can be
    a moment after the handshake the develop script waits for)."""
    deadline = time.monotonic() + timeout
    while True:
        status, sent = http("GET", f"http://127.0.0.1:{sim_port}/_sim/sent")
        reached = {s["recipient_id"] for s in sent["data"]} if status == 200 else set()
        if {ALICE, BOB} <= reached or time.monotonic() > deadline:
            return reached
        time.sleep(0.2)


def _default_sigint() -> None:
    """In the child: take SIGINT as a terminal would deliver it (the runner may ignore it)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize("how", ["ctrl-c", "sigterm"])
def test_develop_up_and_down(socket_enabled: None, tmp_path: Path, how: str) -> None:
    ensure_requirements()
    config = copy_committed_config(tmp_path / "config")
    ha_port, sim_port = free_port(), free_port()
    log = tmp_path / "develop.log"
    command = [
        str(DEVELOP),
        "--python",
        sys.executable,
        "--config",
        str(config),
        "--ha-port",
        str(ha_port),
        "--sim-port",
        str(sim_port),
        "--skip-pip",
        "--timeout",
        "120",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603
            command,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, like a terminal's foreground job
            preexec_fn=_default_sigint,  # noqa: PLW1509 - only resets a signal before exec
        )
    try:
        output = wait_for_output(log, "Press Ctrl-C to stop both", process, 150)
        ha_url, chat_url = f"http://127.0.0.1:{ha_port}", f"http://127.0.0.1:{sim_port}/chat/"
        assert f"Home Assistant   {ha_url}" in output
        assert f"Chat page        {chat_url}" in output
        assert "[simulator] Webhook verified" in output
        # The banner, not only the start-up lines, says who writes to which page and what the
        # UI setup asks for: the simulator's demo credentials and its URL.
        banner = output[output.index("Everything is up") :]
        assert "Alice, Bob and Charlie write to Home, which config/ sets up in YAML" in banner
        assert "Grace and Henry write to Garden club, once you set it up in the UI" in banner
        assert f"Access token   {DEMO_USER_TOKEN}" in banner
        assert "App secret     sim-app-secret" in banner
        assert f"Graph API URL  http://127.0.0.1:{sim_port}" in banner
        assert "Advanced mode on in your profile" in banner
        assert "then pick the page Garden club, and Grace and Henry." in banner

        status, page = http("GET", chat_url)
        assert status == 200
        assert b"<title>Messenger simulator</title>" in page
        status, _ = http("GET", ha_url + "/")  # the web interface (onboarding on a first visit)
        assert status == 200
        assert greeted(sim_port) >= {ALICE, BOB}  # the greeting automation, run at start
        # develop seeded the camera's config entry, with this copy's picture path.
        entries = (config / ".storage" / "core.config_entries").read_text(encoding="utf-8")
        assert str(config / "www" / "front_door.jpg") in entries
        # and left only the owner's account to onboarding (no location step, so none of the
        # integrations it would set up, which fail here).
        status, steps = http("GET", ha_url + "/api/onboarding")
        assert status == 200
        assert [s["step"] for s in steps if not s["done"]] == ["user", "integration"]

        if how == "ctrl-c":
            os.killpg(process.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
        else:
            process.send_signal(signal.SIGTERM)
        assert process.wait(60) == 0
        output = log.read_text(encoding="utf-8", errors="replace")
        assert "Messenger simulator stopped" in output
        assert output.rstrip().endswith("Stopped\x1b[0m")
        assert not listening(ha_port)
        assert not listening(sim_port)
    finally:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
