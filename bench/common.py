"""What the benchmarks share: the simulator process, an in-process Home Assistant, statistics,
tables and the machine they ran on.

Every benchmark plays the same cast: ``python -m simulator`` in a process of its own (so its CPU
never counts as Home Assistant's), and a real Home Assistant core with the HTTP server bound to
127.0.0.1 and this repository's integration loaded, in the benchmark's own process, so that the
benchmark can call services, listen to events and read its own resident memory. Time is
``time.monotonic()`` everywhere: CLOCK_MONOTONIC is one clock for every process on Linux, so a
moment taken here and the simulator's ``received_at`` can be subtracted.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Sequence
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
import gc
import json
import math
import os
from pathlib import Path
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any
import urllib.request

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python bench/x.py` puts bench/ first, not the repository
    sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

PAGE_ID = "1000000000000001"
PAGE_NAME = "Bench"
TOKEN = "EAAB-bench-page-token-0123456789abcdef"
APP_SECRET = "bench-app-secret-fedcba9876543210"
VERIFY_TOKEN = "bench-verify-token-5a5a5a"
GRAPH_VERSION = "v25.0"
# A second page, for the benchmarks that set a page up as a config entry (one page is either
# YAML or an entry, never both).
ENTRY_PAGE_ID = "2000000000000002"
ENTRY_TOKEN = "EAAB-bench-entry-page-token-fedcba987654"
CAP = 300  # Meta's Send API calls per second per page, and the simulator's cap in the benchmarks
RESULTS = ROOT / "bench" / "results"


def psids(count: int, start: int = 7_000_000_000_000_000) -> list[str]:
    """``count`` distinct page-scoped ids (16 digits, like Meta's)."""
    return [str(start + i) for i in range(count)]


EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def free_port() -> int:
    """A TCP port nobody uses right now, below the kernel's ephemeral range.

    A port the kernel hands out (bind to 0) can be handed out again, to any outgoing connection
    of a parallel test, before the process that was given it binds it seconds later (seen as
    "address already in use" on Home Assistant's start): ports under the range never are.
    """
    below = _ephemeral_start()
    for _ in range(200):
        port = random.randrange(max(1024, below - 12_000), below)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free TCP port below {below}")


def _ephemeral_start() -> int:
    """The first port the kernel gives outgoing connections (32768 where it does not say)."""
    try:
        return int(EPHEMERAL_RANGE.read_text(encoding="ascii").split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


# ------------------------------------------------------------------------------ statistics


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` quantile (0..1) with linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    """The median (NaN for no values)."""
    return percentile(values, 0.5)


# The columns of a latency table, in order: name and quantile.
QUANTILES: tuple[tuple[str, float], ...] = (
    ("median", 0.5),
    ("p10", 0.1),
    ("p90", 0.9),
    ("p99", 0.99),
)


def quantiles_ms(delays: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    """Each kind's delays (seconds) as its QUANTILES in milliseconds."""
    return {
        kind: {name: percentile(values, q) * 1000 for name, q in QUANTILES}
        for kind, values in delays.items()
    }


def rss_mib(pid: int | None = None) -> float:
    """Resident memory (VmRSS) of a process, in MiB (this process by default)."""
    status = Path(f"/proc/{pid or os.getpid()}/status").read_text(encoding="ascii")
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS line in /proc/<pid>/status")


def settled_rss_mib() -> float:
    """This process's resident memory after a full garbage collection."""
    gc.collect()
    return rss_mib()


# ------------------------------------------------------------------------------ reporting


def machine() -> dict[str, str]:
    """Date, cores, CPU model, Python and Home Assistant versions (for the tables)."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    try:
        from homeassistant.const import __version__ as ha_version
    except ImportError:  # pragma: no cover - Home Assistant is a requirement
        ha_version = "not installed"
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(),
        "cores": str(os.cpu_count()),
        "cpu": cpu,
        "python": platform.python_version(),
        "home_assistant": ha_version,
        "aiohttp": aiohttp.__version__,
    }


def _commit() -> str:
    """The checked-out commit, marked ``+changes`` when the integration differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "custom_components"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def machine_line() -> str:
    """One line naming the machine and versions."""
    info = machine()
    return (
        f"{info['date']}; {info['cores']} cores, {info['cpu']}; Python {info['python']}, "
        f"Home Assistant {info['home_assistant']}, aiohttp {info['aiohttp']}; "
        f"commit {info['commit']}"
    )


def table(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A Markdown table (pastes into the README as it is) under a title line."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]

    def line(values: Sequence[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    out = [title, "", line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(row) for row in cells]
    return "\n".join(out)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def verdict(ok: bool) -> str:
    """How a target row reads."""
    return "met" if ok else "MISSED"


def report(name: str, args: argparse.Namespace, results: dict[str, Any], text: str) -> None:
    """A benchmark's last words: its ``results`` saved (unless ``--no-save``), then the SUMMARY
    line."""
    if not args.no_save:
        path = save_results(name, results)
        print(f"(results: {path.relative_to(ROOT)})")
    summary(name, text)


def save_results(name: str, data: dict[str, Any]) -> Path:
    """Write ``bench/results/<name>-<time>.json`` (gitignored) and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{name}-{stamp}.json"
    path.write_text(
        json.dumps({"machine": machine(), **data}, indent=2, default=str) + "\n", encoding="utf-8"
    )
    return path


def parser(description: str | None) -> argparse.ArgumentParser:
    """The options every benchmark has."""
    parse = argparse.ArgumentParser(description=description)
    parse.add_argument("--quick", action="store_true", help="tiny sizes (the smoke test's run)")
    parse.add_argument(
        "--no-save", action="store_true", help="don't write JSON results under bench/results/"
    )
    parse.add_argument(
        "--profile",
        action="store_true",
        help="profile the measured part with pyinstrument (must be installed) and print it",
    )
    return parse


def calls_and_latency(
    argv: list[str] | None, description: str | None, calls: int, quick_calls: int, what: str
) -> tuple[argparse.Namespace, int, float]:
    """The options of a latency benchmark: ``--calls`` and the simulator's ``--latency`` (0.1 s,
    about Meta's; 0.01 s with ``--quick``) on top of :func:`parser`'s."""
    parse = parser(description)
    parse.add_argument("--calls", type=int, help=f"{what} of each kind (default {calls})")
    parse.add_argument("--latency", type=float, help="simulator latency, s (0.1; --quick 0.01)")
    args = parse.parse_args(argv)
    (count,) = sizes(args, calls=(calls, quick_calls))
    latency = args.latency if args.latency is not None else (0.01 if args.quick else 0.1)
    return args, count, latency


def sizes(args: argparse.Namespace, **defaults: tuple[Any, Any]) -> list[Any]:
    """Each ``--<name>`` size the run gave, else its default ``(full, quick)``: the second with
    ``--quick``."""
    return [
        getattr(args, name) or (quick if args.quick else full)
        for name, (full, quick) in defaults.items()
    ]


def run(main: Callable[[], Coroutine[Any, Any, int]]) -> int:
    """Run a benchmark's coroutine on the event loop Home Assistant itself uses."""
    from homeassistant import runner

    if hasattr(runner, "create_event_loop"):  # Home Assistant 2026.x: a loop factory
        return asyncio.run(main(), loop_factory=runner.create_event_loop)
    asyncio.set_event_loop_policy(runner.HassEventLoopPolicy(False))  # 2025.x: a loop policy
    return asyncio.run(main())


@contextlib.contextmanager
def profiled(enabled: bool, name: str) -> Any:
    """Profile the block with pyinstrument when asked; prints the top and saves HTML."""
    if not enabled:
        yield
        return
    try:
        from pyinstrument import Profiler
    except ImportError:
        print("(--profile: pyinstrument is not installed; running without it)")
        yield
        return
    profiler = Profiler(interval=0.0005, async_mode="disabled")
    profiler.start()
    try:
        yield
    finally:
        profiler.stop()
        RESULTS.mkdir(parents=True, exist_ok=True)
        html = RESULTS / f"profile-{name}.html"
        html.write_text(profiler.output_html(), encoding="utf-8")
        print(profiler.output_text(unicode=False, color=False, show_all=False))
        print(f"(profile written to {html.relative_to(ROOT)})")


# ------------------------------------------------------------------------------ the simulator


@dataclass
class SimProcess:
    """``python -m simulator`` with a generated config: one page, these users."""

    users: Sequence[str]
    latency: float = 0.0
    entry_users: Sequence[str] = ()  # people of the second page (ENTRY_PAGE_ID)
    rate_cap: int | None = None
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="fb-bench-sim-")))
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        """Where the simulator listens."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """Its process id."""
        assert self.process is not None
        return self.process.pid

    def config(self) -> dict[str, Any]:
        """The page and the people, as ``python -m simulator --config`` reads them."""
        pages = [{"page_id": PAGE_ID, "name": PAGE_NAME, "token": TOKEN, "app_secret": APP_SECRET}]
        users = [{"psid": psid, "name": f"Person {psid[-5:]}"} for psid in self.users]
        if self.entry_users:
            pages.append(
                {
                    "page_id": ENTRY_PAGE_ID,
                    "name": "Bench entry",
                    "token": ENTRY_TOKEN,
                    "app_secret": APP_SECRET,
                }
            )
            users += [
                {"psid": p, "name": f"Person {p[-5:]}", "page": ENTRY_PAGE_ID}
                for p in self.entry_users
            ]
        return {"pages": pages, "users": users}

    def start(self) -> None:
        """Start it and wait until its control API answers."""
        config = self.workdir / "simulator.json"
        config.write_text(json.dumps(self.config()), encoding="utf-8")
        self.port = free_port()
        command = [
            sys.executable,
            "-m",
            "simulator",
            "--port",
            str(self.port),
            "--config",
            str(config),
            "--latency",
            str(self.latency),
            "--quiet",
        ]
        if self.rate_cap is not None:
            command += ["--rate-cap", str(self.rate_cap)]
        log = (self.workdir / "simulator.log").open("wb")
        self.process = subprocess.Popen(  # noqa: S603 - our own command
            command,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the simulator exited:\n{self.log_tail()}")
            state = self.url + "/_sim/state"
            with contextlib.suppress(OSError), urllib.request.urlopen(state, timeout=5) as answer:  # noqa: S310 - our http URL
                if answer.status == 200:
                    return
            time.sleep(0.1)
        raise RuntimeError(f"the simulator did not start:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        """The end of its output."""
        path = self.workdir / "simulator.log"
        text = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers; its temporary files go too."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> SimProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- the control API

    def _client(self) -> aiohttp.ClientSession:
        if self.session is None or self.session.closed:
            self.session = aiohttp.ClientSession()
        return self.session

    async def close(self) -> None:
        """Close the control API's client session."""
        if self.session is not None:
            await self.session.close()

    async def control(self, method: str, path: str, body: Any = None) -> Any:
        """Call ``/_sim/<path>``; the call must succeed."""
        async with self._client().request(method, self.url + "/_sim/" + path, json=body) as answer:
            data = await answer.json(content_type=None)
            if answer.status >= 300:
                raise RuntimeError(f"/_sim/{path} answered {answer.status}: {data}")
            return data

    async def reset(self) -> None:
        """Forget recordings, faults, rate windows and usage."""
        await self.control("POST", "reset")

    async def sent(self, since: int = 0) -> list[dict[str, Any]]:
        """Accepted Send API calls from index ``since`` on."""
        return list((await self.control("GET", f"sent?since={since}"))["data"])

    async def requests(self, since: int = 0) -> list[dict[str, Any]]:
        """Every Graph request from index ``since`` on."""
        return list((await self.control("GET", f"requests?since={since}"))["data"])

    async def request_count(self) -> int:
        """How many Graph requests so far."""
        state = await self.control("GET", "state")
        return int(state["counts"]["requests"])


SEND_HEADERS = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}


async def raw_send(session: aiohttp.ClientSession, sim: SimProcess, body: dict[str, Any]) -> None:
    """POST a Send API body to the simulator with nothing in between (the page's token header,
    compact JSON): the raw POST the latency benchmarks measure against."""
    data = json.dumps(body, separators=(",", ":")).encode()
    url = f"{sim.url}/{GRAPH_VERSION}/me/messages"
    async with session.post(url, data=data, headers=SEND_HEADERS) as answer:
        await answer.read()
        if answer.status != 200:
            raise RuntimeError(f"raw POST answered {answer.status}")


def error_code(request: dict[str, Any]) -> int | None:
    """The Graph error code a recorded request was answered with, if any."""
    error = (request.get("response") or {}).get("error")
    return error.get("code") if isinstance(error, dict) else None


# ------------------------------------------------------------------------------ Home Assistant


def notify_entry(sim: SimProcess, name: str, **overrides: Any) -> dict[str, Any]:
    """A ``notify: - platform: facebook`` entry for the simulator's page."""
    entry: dict[str, Any] = {
        "platform": "facebook",
        "name": name,
        "page_access_token": TOKEN,
        "verify_token": VERIFY_TOKEN,
        "app_secret": APP_SECRET,
        "graph_url": sim.url,
    }
    entry.update(overrides)
    return entry


def seed_audience(config_dir: Path, service: str, people: Iterable[str], last: float) -> None:
    """Write the audience store (``facebook.audience.<service>``) before Home Assistant starts,
    in the integration's own stored form."""
    from custom_components.facebook.messenger.audience import Audience

    audience = Audience()
    for psid in people:
        audience.record(psid, last)
    key = f"facebook.audience.{service}"
    storage = config_dir / ".storage"
    storage.mkdir(parents=True, exist_ok=True)
    document = {"version": 1, "minor_version": 1, "key": key, "data": audience.to_json()}
    (storage / key).write_text(json.dumps(document), encoding="utf-8")


@contextlib.asynccontextmanager
async def hass_with_page(
    sim: SimProcess,
    service: str = "facebook",
    *,
    audience: Sequence[str] = (),
    log_level: str = "WARNING",
    **options: Any,
) -> AsyncIterator[RunningHass]:
    """:func:`home_assistant` in a throwaway config dir with one ``notify.<service>`` entry for
    the simulator's page (``options``: more of its settings); ``audience``: people who already
    wrote to the page (the stored audience, seeded before Home Assistant starts)."""
    with temporary_dir("fb-bench-ha-") as config_dir:
        if audience:
            seed_audience(config_dir, service, audience, time.time())
        entry = notify_entry(sim, service, **options)
        async with home_assistant(config_dir, [entry], log_level=log_level) as running:
            yield running


@dataclass
class RunningHass:
    """A Home Assistant with the integration set up."""

    hass: Any
    url: str
    pages: dict[str, Any]  # notify service name -> the page its YAML entry was imported into

    def page(self, service: str) -> Any:
        """The page behind ``notify.<service>``."""
        return self.pages[service]


@contextlib.asynccontextmanager
async def home_assistant(
    config_dir: Path, entries: list[dict[str, Any]], *, log_level: str = "WARNING"
) -> AsyncIterator[RunningHass]:
    """Home Assistant with ``http`` on a free 127.0.0.1 port and these notify entries.

    The integration is this repository's (imported first, so Home Assistant does not load its own
    built-in ``facebook``), storage lives in ``config_dir``, and the pages have looked themselves
    up (``GET /me``) before this yields.
    """
    import logging

    from homeassistant import loader
    from homeassistant.const import EVENT_HOMEASSISTANT_START
    from homeassistant.helpers import frame
    from homeassistant.setup import async_setup_component
    from pytest_homeassistant_custom_component.common import async_test_home_assistant

    import custom_components.facebook

    assert custom_components.facebook.__file__
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("custom_components.facebook").setLevel(log_level)
    # "custom integration not tested by Home Assistant" and "zlib_ng not available": noise here.
    logging.getLogger("homeassistant.loader").setLevel(logging.ERROR)
    logging.getLogger("aiohttp_fast_zlib").setLevel(logging.ERROR)
    port = free_port()
    async with async_test_home_assistant(config_dir=str(config_dir)) as hass:
        frame.async_setup(hass)  # as Home Assistant's own start does (a second one too)
        hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
        try:
            http = {"server_host": "127.0.0.1", "server_port": port}
            assert await async_setup_component(hass, "http", {"http": http})
            assert await async_setup_component(hass, "notify", {"notify": entries})
            hass.bus.async_fire(EVENT_HOMEASSISTANT_START)  # the HTTP server starts on this
            await hass.async_block_till_done()
            deadline = time.monotonic() + 30
            while not (pages := _imported_pages(hass, len(entries))):
                if time.monotonic() > deadline:
                    raise RuntimeError("the pages did not look themselves up (GET /me)")
                await asyncio.sleep(0.02)
            yield RunningHass(hass, f"http://127.0.0.1:{port}", pages)
        finally:
            await hass.async_stop(force=True)


def _imported_pages(hass: Any, count: int) -> dict[str, Any] | None:
    """The pages of the YAML entries, once all ``count`` are loaded and know their page id."""
    from homeassistant.config_entries import SOURCE_IMPORT, ConfigEntryState

    pages = {
        entry.data["name"]: entry.runtime_data
        for entry in hass.config_entries.async_entries("facebook")
        if entry.source == SOURCE_IMPORT and entry.state is ConfigEntryState.LOADED
    }
    ready = len(pages) == count and all(page.page.id for page in pages.values())
    return pages if ready else None


async def add_entry_page(hass: Any, sim: SimProcess, people: dict[str, str]) -> Any:
    """The simulator's second page set up as a config entry (what the UI flow stores), with
    ``people`` (name: PSID) as person subentries; returns the entry once it is loaded."""
    from homeassistant.config_entries import ConfigEntryState, ConfigSubentryData
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    subentries = [
        ConfigSubentryData(
            data={"psid": psid, "name": name}, subentry_type="person", title=name, unique_id=psid
        )
        for name, psid in people.items()
    ]
    entry = MockConfigEntry(
        domain="facebook",
        title="Bench entry",
        unique_id=ENTRY_PAGE_ID,
        data={
            "page_id": ENTRY_PAGE_ID,
            "page_access_token": ENTRY_TOKEN,
            "app_secret": APP_SECRET,
            "app_id": "1517776481860111",  # the simulator's pages' app
            "verify_token": VERIFY_TOKEN,
            "graph_url": sim.url,
        },
        subentries_data=subentries,
    )
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    if entry.state is not ConfigEntryState.LOADED:
        raise RuntimeError(f"the config entry did not load: {entry.state} {entry.reason}")
    return entry


@contextlib.contextmanager
def temporary_dir(prefix: str) -> Any:
    """A temporary directory removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def summary(name: str, text: str) -> None:
    """The last line of every benchmark: ``SUMMARY <name>: <figures>``."""
    print(f"SUMMARY {name}: {text}", flush=True)
