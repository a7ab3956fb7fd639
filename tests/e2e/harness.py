"""Real processes for the end-to-end and browser tests: the simulator and `hass`.

`running_stack` starts `python -m simulator` and `python -m homeassistant -c <copy of config/>`
(with this repository on PYTHONPATH, so the integration under test is the working tree's), waits
until the webhook handshake succeeded and Home Assistant's start-up automation has spoken, and
always stops both, killing them if they do not stop in time. Everything here is synchronous
(subprocess and urllib), so the browser tests can use Playwright's sync API alongside.

For tests that kill and restart Home Assistant, `HassProcess` is one `hass` on a config dir of its
own that can be started again on the same dir, `write_hass_config` writes that dir's YAML, and
`onboard` creates the first user of a fresh instance through the REST API and returns a
`HassUser` (an access token and authenticated REST calls: services, config flows, ...).
`recorded_events` reads the events Home Assistant's recorder kept (with `recorder:` in that
YAML): also those fired during a start, before any API client could have subscribed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import contextlib
from dataclasses import dataclass, field
import importlib.util
import json
import os
from pathlib import Path
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from typing import Any
import urllib.error
import urllib.parse
import urllib.request

import yaml

from bench.common import free_port

ROOT = Path(__file__).resolve().parents[2]
_SANDBOX_SPEC = importlib.util.spec_from_file_location("sandbox", ROOT / "scripts" / "sandbox.py")
assert _SANDBOX_SPEC is not None and _SANDBOX_SPEC.loader is not None
sandbox = importlib.util.module_from_spec(_SANDBOX_SPEC)
_SANDBOX_SPEC.loader.exec_module(sandbox)
CONFIG = ROOT / "config"
# The committed sandbox files (a developer's own .storage, logs or database never get copied).
CONFIG_FILES = (
    "configuration.yaml",
    "automations.yaml",
    "scripts.yaml",
    "secrets.yaml",
    "www/front_door.jpg",
    *(
        str(path.relative_to(CONFIG))
        for path in sorted((CONFIG / "custom_components").rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    ),
)
PAGE_ID = "1000000000000001"
ALICE = "6543210987654321"
BOB = "1234567890123456"
START_TIMEOUT = 120.0  # the handshake and Home Assistant's start-up automation
STOP_TIMEOUT = 20.0
RECORDER_DB = "home-assistant_v2.db"  # the recorder's default database, in the config dir

SECRETS: dict[str, str] = yaml.safe_load((CONFIG / "secrets.yaml").read_text(encoding="utf-8"))
_requirements_checked = False


def copy_config(dest: Path) -> Path:
    """A fresh copy of the committed sandbox configuration, seeded as scripts/develop does."""
    for name in CONFIG_FILES:
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CONFIG / name, target)
    assert sandbox.seed(dest) == "created"
    assert sandbox.expose(dest) == "created"  # the hall light, to Assist
    return dest


def ensure_requirements() -> None:
    """Install, once, the packages of the built-in integrations the sandbox cannot do without.

    `frontend` (Home Assistant starts in recovery mode, loading no integration, without its
    package) and `camera` (the integration waits for it). Their versions follow the installed
    Home Assistant, so they are checked here rather than pinned: the newest Home Assistant in
    ../shared/tools/ha-latest needs other ones.
    """
    global _requirements_checked
    if not _requirements_checked:
        sandbox.install_requirements()
        _requirements_checked = True


def http(
    method: str, url: str, body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """One HTTP call; JSON in and out where there is JSON. Returns (status, body)."""
    data = None
    all_headers = dict(headers or {})
    if isinstance(body, bytes):
        data = body
    elif body is not None:
        data = json.dumps(body).encode()
        all_headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(url, data=data, method=method, headers=all_headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
            status = response.status
            kind = response.headers.get_content_type()
    except urllib.error.HTTPError as err:
        raw, status, kind = err.read(), err.code, err.headers.get_content_type()
    if kind == "application/json":
        return status, json.loads(raw)
    return status, raw


@dataclass
class Stack:
    """The running pair, and helpers to act as the simulated people and read what was sent."""

    sim_url: str
    ha_url: str
    config_dir: Path
    logs: dict[str, Path]
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def webhook_url(self) -> str:
        """Home Assistant's webhook."""
        return self.ha_url + "/api/facebook_webhooks"

    def sim(self, method: str, path: str, body: Any = None) -> Any:
        """Call the simulator's control API; the call must succeed."""
        status, answer = http(method, self.sim_url + path, body)
        assert 200 <= status < 300, (status, answer)
        return answer

    def sent(self, since: int = 0, psid: str | None = None) -> list[dict[str, Any]]:
        """Accepted Send API calls (``?since=`` index, optionally for one person)."""
        query = f"?since={since}" + (f"&psid={psid}" if psid else "")
        return list(self.sim("GET", "/_sim/sent" + query)["data"])

    def count_sent(self) -> int:
        """How many sends so far (the ``since`` of the next step)."""
        return int(self.sim("GET", "/_sim/sent?since=1000000000")["next"])

    def user(self, psid: str, action: str, **body: Any) -> dict[str, Any]:
        """A person acts (say, quick_reply, postback, react, delivered, read)."""
        return dict(self.sim("POST", f"/_sim/users/{psid}/{action}", body))

    def wait_sent(
        self,
        since: int,
        match: Callable[[list[dict[str, Any]]], bool],
        what: str,
        timeout: float = 20.0,
    ) -> list[dict[str, Any]]:
        """Poll the sends after ``since`` until ``match`` accepts them."""
        deadline = time.monotonic() + timeout
        sent: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            self.check_alive()
            sent = self.sent(since)
            if match(sent):
                return sent
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}; sent: {sent}\n{self.log_tails()}")

    def check_alive(self) -> None:
        """Fail with the logs if a process died."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise AssertionError(f"{name} exited with {process.returncode}\n{self.log_tails()}")

    def log_tails(self, lines: int = 40) -> str:
        """The end of each process's output (for failure messages)."""
        out = []
        for name, path in self.logs.items():
            text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
            out.append(f"--- {name} ---\n" + "\n".join(text.splitlines()[-lines:]))
        return "\n".join(out)


def texts(sent: list[dict[str, Any]]) -> list[str | None]:
    """The text of each sent message (None for attachments and sender actions)."""
    return [(s.get("message") or {}).get("text") for s in sent]


def stop(process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT) -> int | None:
    """SIGTERM, then SIGKILL after ``timeout``; returns the exit code of a clean stop."""
    if process.poll() is not None:
        return process.returncode
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)
        return None


@contextlib.contextmanager
def running_stack(workdir: Path) -> Iterator[Stack]:
    """The simulator and Home Assistant on free ports, ready; both stopped afterwards."""
    ensure_requirements()
    config_dir = copy_config(workdir / "config")
    sim_port, ha_port = free_port(), free_port()
    stack = Stack(
        sim_url=f"http://127.0.0.1:{sim_port}",
        ha_url=f"http://127.0.0.1:{ha_port}",
        config_dir=config_dir,
        logs={"simulator": workdir / "simulator.log", "hass": workdir / "hass.log"},
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
        "FB_HA_PORT": str(ha_port),
        "FB_HA_URL": stack.ha_url,
        "FB_GRAPH_URL": stack.sim_url,
        "FB_MEDIA_DIR": str(config_dir / "media"),
    }
    (config_dir / "media").mkdir(exist_ok=True)
    commands = {
        "simulator": [
            sys.executable,
            "-m",
            "simulator",
            "--port",
            str(sim_port),
            "--webhook-url",
            stack.webhook_url,
            "--verify-token",
            SECRETS["fb_verify_token"],
        ],
        "hass": [sys.executable, "-m", "homeassistant", "-c", str(config_dir), "--skip-pip"],
    }
    try:
        for name, command in commands.items():
            with stack.logs[name].open("wb") as log:
                stack.processes[name] = subprocess.Popen(  # noqa: S603 - our own commands
                    command,
                    cwd=ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        _wait_ready(stack)
        yield stack
    finally:
        for process in stack.processes.values():
            stop(process)


def _wait_ready(stack: Stack) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        stack.check_alive()
        with contextlib.suppress(OSError):
            state = stack.sim("GET", "/_sim/state")
            verified = (state.get("verification") or {}).get("ok")
            # The start-up automation greets Alice and Bob once Home Assistant has started.
            greeted = {s["recipient_id"] for s in stack.sent()} >= {ALICE, BOB}
            if verified and greeted:
                return
        time.sleep(0.2)
    raise AssertionError(f"the sandbox did not come up in {START_TIMEOUT} s\n{stack.log_tails()}")


# ------------------------------------------------------------------------------ hass on its own


def hass_env(**extra: str) -> dict[str, str]:
    """The environment `hass` runs in: this repository on PYTHONPATH, unbuffered output."""
    return {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **extra}


def write_hass_config(config_dir: Path, port: int, sections: dict[str, Any]) -> Path:
    """A `configuration.yaml` with `http` on 127.0.0.1:`port`, quiet logs, plus `sections`."""
    config_dir.mkdir(parents=True, exist_ok=True)
    document: dict[str, Any] = {
        "homeassistant": {
            "name": "Test",
            "latitude": 52.3731,
            "longitude": 4.8922,
            "elevation": 0,
            "unit_system": "metric",
            "time_zone": "UTC",
            "country": "NL",
            "currency": "EUR",
            # Where Meta (the simulator) calls the webhook: the flow sets the app's webhook here.
            "external_url": f"http://127.0.0.1:{port}",
        },
        "http": {"server_host": "127.0.0.1", "server_port": port},
        "logger": {"default": "warning", "logs": {"aiohttp_fast_zlib": "error"}},
        **sections,
    }
    path = config_dir / "configuration.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


@dataclass
class HassProcess:
    """`python -m homeassistant` on one config dir: started, killed and started again on it."""

    config_dir: Path
    port: int
    log: Path
    env: dict[str, str] = field(default_factory=hass_env)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        """Where its HTTP server listens."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The running process's id."""
        assert self.process is not None
        return self.process.pid

    def start(self) -> None:
        """Start `hass` (its output appended to `log`, so a restart keeps the first run's)."""
        ensure_requirements()
        assert self.process is None or self.process.poll() is not None, "already running"
        command = [sys.executable, "-m", "homeassistant", "-c", str(self.config_dir), "--skip-pip"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own command
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1

    def wait_http(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until the HTTP server answers (`/api/onboarding` needs no login)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_alive()
            with contextlib.suppress(OSError):
                if http("GET", self.url + "/api/onboarding")[0] == 200:
                    return
            time.sleep(0.1)
        raise AssertionError(f"hass did not answer in {timeout} s\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no final writes (what a power cut or the OOM killer does)."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """A graceful stop (SIGTERM, SIGKILL after `timeout`); the exit code of a clean one."""
        return None if self.process is None else stop(self.process, timeout)

    def check_alive(self) -> None:
        """Fail with the log if `hass` exited."""
        if self.process is None or self.process.poll() is not None:
            code = None if self.process is None else self.process.returncode
            raise AssertionError(f"hass is not running (exit {code})\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        """The end of its output."""
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> HassProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class HassUser:
    """A logged-in Home Assistant user: an access token and REST calls made with it."""

    url: str
    client_id: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        """The `Authorization` header of every authenticated call."""
        return {"Authorization": f"Bearer {self.access_token}"}

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """An authenticated call to `path` (e.g. `/api/config/config_entries/flow`)."""
        return http(method, self.url + path, body, self.headers)

    def refresh(self) -> None:
        """A new access token from the refresh token (access tokens live 30 minutes)."""
        answer = _token_request(
            self.url,
            {
                "grant_type": "refresh_token",
                "refresh_token": self.refresh_token,
                "client_id": self.client_id,
            },
        )
        self.access_token = answer["access_token"]

    def wait_running(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until Home Assistant has started (`/api/config` says RUNNING)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                status, config = self.call("GET", "/api/config")
                if status == 200 and config.get("state") == "RUNNING":
                    return
            time.sleep(0.2)
        raise AssertionError(f"{self.url} did not reach RUNNING in {timeout} s")


def onboard(
    url: str,
    *,
    username: str = "tester",
    password: str = "tester-password-0123",
    name: str = "Tester",
) -> HassUser:
    """Create the first user of a fresh Home Assistant (its onboarding) and log them in.

    `POST /api/onboarding/users` answers an `auth_code` for `client_id`; `POST /auth/token` with
    `grant_type=authorization_code` and the same `client_id` turns it into tokens. The other
    onboarding steps are not needed for the REST or websocket API.
    """
    client_id = url + "/"
    status, answer = http(
        "POST",
        url + "/api/onboarding/users",
        {
            "client_id": client_id,
            "name": name,
            "username": username,
            "password": password,
            "language": "en",
        },
    )
    assert status == 200, (status, answer)
    tokens = _token_request(
        url,
        {"grant_type": "authorization_code", "code": answer["auth_code"], "client_id": client_id},
    )
    return HassUser(url, client_id, tokens["access_token"], tokens["refresh_token"])


def recorded_events(config_dir: Path, event_type: str) -> list[dict[str, Any]]:
    """The data of every `event_type` event the recorder has committed in `config_dir`'s
    database, in the order they were fired, across all the starts on that dir.

    The recorder is set up in the first stage of a start, before any custom integration, so it
    has every event an integration fires, even during the start. It commits every
    `commit_interval` seconds: poll with `wait_until`. No database (or no tables) yet: [].
    """
    path = config_dir / RECORDER_DB
    if not path.exists():
        return []
    query = (
        "SELECT d.shared_data FROM events AS e"
        " JOIN event_types AS t ON t.event_type_id = e.event_type_id"
        " LEFT JOIN event_data AS d ON d.data_id = e.data_id"
        " WHERE t.event_type = ? ORDER BY e.event_id"
    )
    try:
        with contextlib.closing(sqlite3.connect(path, timeout=30)) as db:
            rows = db.execute(query, (event_type,)).fetchall()
    except sqlite3.OperationalError as err:
        if "no such table" in str(err):  # the recorder is creating its schema
            return []
        raise
    return [json.loads(data) if data else {} for (data,) in rows]


def _token_request(url: str, form: dict[str, str]) -> dict[str, Any]:
    """`POST /auth/token` (a form, as OAuth2 wants it); the answer must be tokens."""
    body = urllib.parse.urlencode(form).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    status, answer = http("POST", url + "/auth/token", body, headers)
    assert status == 200 and isinstance(answer, dict), (status, answer)
    return answer


def spawn(
    command: list[str], log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start one of our processes in its own session, its output going to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(  # noqa: S603 - our own commands
            command,
            cwd=ROOT,
            env=env or hass_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_until(check: Callable[[], bool], what: str, timeout: float = 20.0) -> float:
    """Poll `check` (a connection error counts as not yet) until it holds; returns its seconds."""
    started = time.monotonic()
    deadline = started + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if check():
                return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


@contextlib.contextmanager
def yaml_page_stack(
    workdir: Path, sections: dict[str, Any], stop_timeout: float = STOP_TIMEOUT
) -> Iterator[tuple[Stack, HassProcess]]:
    """The simulator (running) and a `hass` (not started yet: the test starts, kills and
    restarts it) on a fresh config dir with a YAML page of Alice and Bob on that simulator,
    plus `sections` of configuration."""
    sim_port, ha_port = free_port(), free_port()
    config_dir = workdir / "config"
    sim_url, ha_url = f"http://127.0.0.1:{sim_port}", f"http://127.0.0.1:{ha_port}"
    notify = {
        "platform": "facebook",
        "name": "facebook",
        "page_access_token": SECRETS["fb_page_token"],
        "verify_token": SECRETS["fb_verify_token"],
        "app_secret": SECRETS["fb_app_secret"],
        "graph_url": sim_url,
        "allowed_chat_ids": {"alice": ALICE, "bob": BOB},
    }
    write_hass_config(config_dir, ha_port, {"notify": [notify], **sections})
    logs = {"simulator": workdir / "simulator.log", "hass": workdir / "hass.log"}
    command = [sys.executable, "-m", "simulator", "--port", str(sim_port)]
    command += ["--webhook-url", ha_url + "/api/facebook_webhooks"]
    simulator = spawn(command, logs["simulator"])
    hass = HassProcess(config_dir, ha_port, logs["hass"])
    try:
        wait_until(lambda: http("GET", sim_url + "/_sim/state")[0] == 200, "the simulator")
        yield Stack(sim_url, ha_url, config_dir, logs, {"simulator": simulator}), hass
    finally:
        hass.stop(stop_timeout)
        simulator.terminate()
        simulator.wait(10)
