"""Soak: a real `hass` process under steady load, faults and one SIGKILL, for 10 minutes.

Home Assistant runs as ``python -m homeassistant`` on a temporary config dir with the integration
in YAML (one page, 50 allowed people with names, ``app_secret``, ``verify_token``, ``graph_url``
pointing at ``python -m simulator`` in a process of its own, cap 300 calls/s, 100 ms per send),
plus a small probe integration that measures Home Assistant's event-loop lag
(``bench/soak_probe``; see ``bench/soak_stack.py`` for how both get loaded). It is driven only
from outside, as a real user (onboarded through the REST API):

- notifications at 20/s through ``POST /api/services/notify/facebook``, to the 50 people in turn,
  each with a unique text; a call counts as asked only when it returned 200;
- a BROADCAST every minute to 500 people (the 50, and 450 strangers who wrote to the page through
  the webhook at the start);
- 100 signed webhook posts/s (messages and quick replies from allowed people, messages from
  strangers, reads, and one post in ten redelivering an event already answered); a post Home
  Assistant did not answer with 200 is delivered again once it is back, as Meta does;
- a fault every 30 s for 5 s (``bench/soak_faults.py``), and one SIGKILL and restart in the
  middle, in an HTTP 500 fault so that the outbox holds messages when it comes.

Then it waits until everything asked is delivered and counts: every copy Meta accepted (the
simulator's recordings), every firing (the websocket API), resident memory (/proc), the loop lag,
any 613 from the cap. ``bench/soak_report.py`` says how duplicates are explained.

    .venv/bin/python -m bench.soak [--minutes 10] [--quick] [--no-save]
"""

from __future__ import annotations

import argparse
import asyncio
from collections import Counter
import contextlib
import dataclasses
from dataclasses import asdict
import os
from pathlib import Path
import sys
import tempfile
import time
from typing import Any

if __package__ in (None, ""):  # `python bench/soak.py`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp

from bench import common, soak_report
from bench.common import CAP, SimProcess
from bench.soak_faults import Scenario
from bench.soak_load import (
    Broadcaster,
    Collector,
    Notifier,
    Observer,
    Samplers,
    WebhookTraffic,
    sleep_until,
)
from bench.soak_report import GROWTH_TARGET_MB, LAG_TARGET_MS, Records
from bench.soak_stack import Hass, People, Plan, check_loaded, outbox_waiting, prepare_config
from tests.e2e.harness import HassProcess


def arguments(argv: list[str] | None) -> argparse.Namespace:
    """The options: the common ones, the length, and the diagnosis switches."""
    parse = common.parser(__doc__)
    parse.add_argument("--minutes", type=float, default=10.0, help="length of the load (10)")
    parse.add_argument(
        "--keep", action="store_true", help="keep the config dir and logs (prints where)"
    )
    parse.add_argument(
        "--latency", type=float, default=0.1, help="simulator seconds per send (0.1, like Meta)"
    )
    parse.add_argument(
        "--stall-stacks",
        action="store_true",
        help="record where Home Assistant's loop was stuck (a diagnosis: costs a thread)",
    )
    return parse.parse_args(argv)


def work_dir(keep: bool) -> contextlib.AbstractContextManager[Path]:
    """A temporary dir for the config and logs, removed afterwards unless ``keep``."""
    if keep:
        return contextlib.nullcontext(Path(tempfile.mkdtemp(prefix="fb-bench-soak-")))
    return common.temporary_dir("fb-bench-soak-")


async def main(argv: list[str] | None = None) -> int:
    """Run the soak; non-zero if a message was lost, a copy or a firing is unexplained, or the
    cap answered 613 (memory and lag are reported, machine-dependent, and do not fail it)."""
    args = arguments(argv)
    plan = Plan.quick() if args.quick else Plan.full(args.minutes)
    plan = dataclasses.replace(plan, latency=args.latency, stall_stacks=args.stall_stacks)
    people = People.make(plan)
    loads = os.getloadavg()
    if args.profile:
        print("(--profile: Home Assistant runs in another process here; not profiled)")
    print(f"Soak benchmark; {common.machine_line()}", flush=True)
    print(f"  plan: {describe(plan)}; load average {load_text()}", flush=True)
    with (
        SimProcess(people.everyone, latency=plan.latency, rate_cap=CAP) as sim,
        work_dir(args.keep) as workdir,
    ):
        if args.keep:
            print(f"  (--keep: config dir and hass.log in {workdir})", flush=True)
        try:
            run = await soak(plan, people, sim, workdir)
        finally:
            await sim.close()
    numbers = soak_report.figures(run)
    numbers["load_average"] = {"start": loads, "end": os.getloadavg()}
    verdicts = targets(numbers)
    print_tables(plan, numbers, verdicts)
    saved = {
        "plan": asdict(plan),
        "figures": numbers,
        "targets": verdicts,
        "series": soak_report.series(run),
    }
    common.report("soak", args, saved, summary_text(numbers))
    return 0 if all(ok for _, ok, must in verdicts if must) else 1


def load_text() -> str:
    """The machine's load average (1, 5, 15 minutes): the soak shares the CPU with it."""
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def describe(plan: Plan) -> str:
    """The plan in one line."""
    return (
        f"{plan.duration:.0f} s of load, {plan.latency * 1000:.0f} ms per send, "
        f"{plan.notify_rate:g} notifications/s, "
        f"{plan.webhook_rate:g} webhook posts/s, a BROADCAST to "
        f"{plan.allowed + plan.strangers} every {plan.broadcast_every:g} s, {plan.faults} faults "
        f"of {plan.fault_seconds:g} s every {plan.fault_every:g} s, 1 kill"
    )


async def soak(plan: Plan, people: People, sim: SimProcess, workdir: Path) -> Records:
    """Set up Home Assistant on a fresh config dir, run the load, stop it whatever happens."""
    port = common.free_port()
    config_dir = workdir / "config"
    prepare_config(config_dir, port, sim, people, stall_stacks=plan.stall_stacks)
    connector = aiohttp.TCPConnector(limit=0)  # our own semaphores bound the load
    async with aiohttp.ClientSession(connector=connector) as session:
        hass = Hass(HassProcess(config_dir, port, workdir / "hass.log"), session)
        hass.stall_stacks = plan.stall_stacks
        try:
            return await run_load(plan, people, sim, hass)
        except BaseException:
            print(f"--- hass log (end) ---\n{hass.process.log_tail(60)}", flush=True)
            raise
        finally:
            hass.process.stop()


async def start_first(hass: Hass, observer: Observer, scenario: Scenario) -> None:
    """The first start: onboarding, both custom integrations checked, the observer on."""
    started = time.monotonic()
    await hass.start()
    loaded = await check_loaded(hass)
    await observer.connect()
    scenario.readies[hass.process.pid] = time.monotonic()
    print(
        f"  hass (pid {hass.process.pid}) ready in {time.monotonic() - started:.1f} s; custom "
        f"integrations from {hass.process.config_dir / 'custom_components'}: {', '.join(loaded)}",
        flush=True,
    )


async def run_load(plan: Plan, people: People, sim: SimProcess, hass: Hass) -> Records:
    """The whole run: start, seed the strangers, load with faults and the kill, drain."""
    observer, samplers, collector = Observer(hass), Samplers(hass), Collector(sim)
    notifier, broadcaster = Notifier(hass, plan, people), Broadcaster(hass, plan)
    traffic = WebhookTraffic(hass, plan, people)
    scenario = Scenario(plan, sim, hass, observer.connect)
    await start_first(hass, observer, scenario)
    await traffic.seed_strangers()
    hass.up.set()
    stop, done = asyncio.Event(), asyncio.Event()
    t0 = time.monotonic()
    watchers = [samplers.run(done), traffic.redeliver(done)]
    watching = [asyncio.create_task(job) for job in watchers]
    token = asyncio.create_task(hass.keep_token())
    progress = asyncio.create_task(report_progress(t0, plan, notifier, traffic, scenario, done))
    loads = [notifier.run(stop), broadcaster.run(t0, stop), traffic.run(stop)]
    loading = [asyncio.create_task(job) for job in loads]
    await scenario.run(t0)
    await sleep_until(max(t0 + plan.duration, time.monotonic() + plan.tail))
    stop.set()
    await asyncio.gather(*loading)
    load_end = time.monotonic()
    drained = await drain(plan, hass, notifier, broadcaster, observer, traffic, collector)
    await asyncio.sleep(plan.settle)  # room for a late second copy
    done.set()
    await asyncio.gather(*watching, progress)
    await collector.poll_sent()
    await collector.poll_requests()
    token.cancel()
    await observer.close()
    log = hass.process.log.read_text(encoding="utf-8", errors="replace")
    return Records(
        plan, people, t0, load_end, scenario, notifier.calls, broadcaster.calls, traffic,
        observer, samplers, collector, drained, notifier.peak_in_flight, log,
    )  # fmt: skip


async def report_progress(
    t0: float,
    plan: Plan,
    notifier: Notifier,
    traffic: WebhookTraffic,
    scenario: Scenario,
    done: asyncio.Event,
) -> None:
    """A line now and then, so a long run shows it is alive."""
    every = 60.0 if plan.duration >= 300 else 10.0
    while True:
        await sleep_until(time.monotonic() + every, done)
        if done.is_set():
            return
        asked = sum(1 for c in notifier.calls if c.asked)
        print(
            f"  {time.monotonic() - t0:5.0f} s: {asked:,} notifications asked, "
            f"{len(traffic.events):,} webhook events, {len(scenario.windows)} faults so far",
            flush=True,
        )


async def drain(
    plan: Plan,
    hass: Hass,
    notifier: Notifier,
    broadcaster: Broadcaster,
    observer: Observer,
    traffic: WebhookTraffic,
    collector: Collector,
) -> float | None:
    """Seconds until every asked notification and every BROADCAST copy the integration did not
    report failed arrived, the outbox is empty and every webhook post was answered; None if
    that did not happen within ``plan.drain_timeout``."""
    started = time.monotonic()
    wanted = {(c.text, c.psid) for c in notifier.calls if c.asked}
    casts = {
        b.text: sum(int(d.get(k, 0)) for k in ("sent", "queued"))
        for b in broadcaster.calls
        if b.asked
        for d in [soak_report.report_of(b, observer)]
    }
    while time.monotonic() < started + plan.drain_timeout:
        await collector.poll_sent()
        arrived = {(c.text, c.recipient) for c in collector.copies}
        reached = Counter(text for text, _ in arrived if text in casts)
        if (
            wanted <= arrived
            and all(reached[text] >= count for text, count in casts.items())
            and outbox_waiting(hass.process.config_dir) == 0
            and not traffic.pending
        ):
            return time.monotonic() - started
        await asyncio.sleep(1.0)
    return None


def targets(n: dict[str, Any]) -> list[tuple[str, bool, bool]]:
    """(target, met, whether missing it fails the run)."""
    notes, casts, hooks = n["notifications"], n["broadcasts"], n["webhook"]
    growth, lag = n["memory"]["max_growth_mb"], n["lag"]["p99_ms"]
    return [
        ("0 lost (asked notifications; BROADCAST copies not reported failed)",
         not notes["lost"] and casts["unreported_missing"] == 0, True),
        ("a duplicate only where a lost answer, a timeout or the kill explains it",
         notes["unexplained"] == 0 and casts["unexplained"] == 0, True),
        ("a redelivered webhook event fires once, every event fires, strangers never",
         hooks["twice_unexplained"] == 0 and hooks["never_unexplained"] == 0
         and hooks["strangers_fired"] == 0, True),
        (f"memory growth under {GROWTH_TARGET_MB:g} MB (each process, warm-up to end)",
         growth < GROWTH_TARGET_MB, False),
        (f"event-loop lag p99 under {LAG_TARGET_MS:g} ms", lag < LAG_TARGET_MS, False),
        ("0 x 613 from the cap", n["throttle"]["cap_613"] == 0, True),
        ("(informational) no notify call refused while Home Assistant ran",
         not sum(notes["refused"].values()), False),
    ]  # fmt: skip


def dup_text(block: dict[str, Any]) -> str:
    """How many duplicated, and what explains them."""
    if not block["duplicated"]:
        return "0"
    parts = ", ".join(f"{why}: {count}" for why, count in sorted(block["duplicates"].items()))
    return f"{block['duplicated']} ({parts})"


def soak_rows(n: dict[str, Any]) -> list[list[Any]]:
    """The main table (what the README shows)."""
    return [
        *notification_rows(n["notifications"]),
        *broadcast_rows(n["broadcasts"]),
        *webhook_rows(n["webhook"]),
        *outbox_rows(n),
        *memory_rows(n["memory"]),
        *pace_rows(n),
        *kill_rows(n),
    ]


def notification_rows(notes: dict[str, Any]) -> list[list[Any]]:
    """Asked, delivered, lost, duplicated, refused (and why), in flight at the kill."""
    refused = ", ".join(f"{why}: {k}" for why, k in notes["refused"].items()) or "none"
    logged = ", ".join(f"{why}: {k}" for why, k in notes["refused_logged"].items()) or "-"
    return [
        ["notifications asked (the call returned 200)",
         f"{notes['asked']:,} of {notes['calls']:,} calls"],
        ["  delivered / lost", f"{notes['delivered']:,} / {len(notes['lost'])}"],
        ["  duplicated", dup_text(notes)],
        ["  refused (not 200)", refused],
        ["  why (the errors in the hass log)", logged],
        ["  in flight at the kill (no answer)",
         f"{notes['in_flight_at_kill']} ({notes['in_flight_delivered']} delivered anyway)"],
        ["  call time p50 / p99", f"{notes['call_p50_s']:.2f} s / {notes['call_p99_s']:.2f} s"],
    ]  # fmt: skip


def broadcast_rows(casts: dict[str, Any]) -> list[list[Any]]:
    """BROADCAST copies: delivered, missing, what the integration reported, duplicated."""
    rows = [
        ["BROADCASTs asked",
         f"{casts['asked']} of {casts['calls']}, {casts['audience']} people each"],
        ["  copies delivered / missing", f"{casts['delivered']:,} / {casts['missing']}"],
        ["  reported by facebook_broadcast_finished",
         f"sent {casts['reported_sent']:,}, queued {casts['reported_queued']:,}, failed "
         f"{casts['reported_failed']:,}; missing and not reported: {casts['unreported_missing']}"],
    ]  # fmt: skip
    if casts["failed_reasons"]:
        reasons = ", ".join(f"{why}: {k}" for why, k in casts["failed_reasons"].items())
        rows.append(["  why the failed ones failed (hass log)", reasons])
    rows.append(["  duplicated", dup_text(casts)])
    return rows


def webhook_rows(hooks: dict[str, Any]) -> list[list[Any]]:
    """Webhook events: posted, fired once, twice, never; strangers."""
    kinds = ", ".join(f"{kind} {k:,}" for kind, k in sorted(hooks["by_kind"].items()))
    return [
        ["webhook events (new ones)", f"{hooks['events']:,}: {kinds}"],
        ["  posts", f"{hooks['posts']:,} ({hooks['deliberate_duplicates']:,} deliberate "
         f"duplicates, {hooks['redeliveries']:,} redeliveries of {hooks['failed_posts']:,} "
         f"failed posts); never answered: {hooks['never_answered']}"],
        ["  from allowed people: fired once", f"{hooks['fired_once']:,} of {hooks['expected']:,}"],
        ["  fired twice (unexplained)", f"{hooks['fired_twice']} ({hooks['twice_unexplained']})"],
        ["  never fired (unexplained)", f"{hooks['never_fired']} ({hooks['never_unexplained']})"],
        ["  strangers' events that fired", hooks["strangers_fired"]],
    ]  # fmt: skip


def outbox_rows(n: dict[str, Any]) -> list[list[Any]]:
    """The outbox file's size over the run, and the give-ups."""
    box = n["outbox"]
    return [
        ["outbox file: most messages waiting",
         f"{box['peak']:,} (cap {box['cap']:,}) at {box['peak_at']}; {box['seconds_at_cap']:.0f} s "
         f"at the cap; {drained_text(box)}"],
        ["outbox give-ups (facebook_send_failed)", n["send_failed_events"]],
    ]  # fmt: skip


def pace_rows(n: dict[str, Any]) -> list[list[Any]]:
    """The loop lag, the cap's 613s and the peak rate."""
    lag, pace = n["lag"], n["throttle"]
    rows = [
        ["event-loop lag p50 / p99 / max",
         f"{lag['p50_ms']:.2f} / {lag['p99_ms']:.2f} / {lag['max_ms']:.1f} ms "
         f"({lag['samples']:,} samples; {lag['excluded']:,} from start-ups left out); "
         f"worst at {lag['max_at']}; {lag['over_target']} samples over {LAG_TARGET_MS:g} ms"],
        ["613 from the cap (injected: 613 / 80006)",
         f"{pace['cap_613']} ({pace['injected_613']} / {pace['injected_80006']})"],
        ["peak Send API calls in any 1 s",
         f"{pace['peak_per_second']} (cap {CAP}), the second ending at {pace['peak_at']}"],
    ]  # fmt: skip
    if pace["cap_613"]:
        rows.append(["  the cap's 613s came at", "; ".join(pace["cap_613_at"])])
    return rows


def drained_text(box: dict[str, Any]) -> str:
    """How the outbox emptied once the load stopped."""
    waiting = box["waiting_at_load_end"]
    if not waiting:
        return "empty when the load stopped"
    return f"{waiting:,} waiting when the load stopped, drained at {box['drain_per_second']:.1f}/s"


def memory_rows(memory: dict[str, Any]) -> list[list[Any]]:
    """Resident memory of each process, and the growth figures."""
    rows = [
        [f"hass RSS, process {i + 1}: ready / after warm-up / end",
         f"{p['ready_mb']:.1f} / {p['warm_mb']:.1f} / {p['end_mb']:.1f} MB "
         f"(growth {p['growth_mb']:+.1f} MB over {p['seconds']:.0f} s)"]
        for i, p in enumerate(memory["processes"])
    ]  # fmt: skip
    rows.append(["  raw: first process ready to the end", f"{memory['raw_growth_mb']:+.1f} MB"])
    return rows


def kill_rows(n: dict[str, Any]) -> list[list[Any]]:
    """The kill, and how long everything took to arrive after the load."""
    kill = n["kill"]
    drained = n["drain_s"]
    rows = []
    if kill is not None:
        rows.append(
            ["SIGKILL", f"at {kill['at_s']:.0f} s; {kill['outbox_waiting']} message(s) waiting "
             f"in the outbox file; ready again {kill['down_s']:.1f} s later"]
        )  # fmt: skip
    after = "not within the drain timeout" if drained is None else f"{drained:.1f} s"
    rows.append(["after the load, everything had arrived in", after])
    return rows


def print_tables(plan: Plan, n: dict[str, Any], verdicts: list[tuple[str, bool, bool]]) -> None:
    """The soak table, the faults, the targets."""
    print()
    start, end = n["load_average"]["start"], n["load_average"]["end"]
    print(f"Load average (1/5/15 min) at the start {start[0]:.2f}/{start[1]:.2f}/{start[2]:.2f}, "
          f"at the end {end[0]:.2f}/{end[1]:.2f}/{end[2]:.2f}")  # fmt: skip
    title = f"Soak, {n['load_s']:.0f} s of load ({describe(plan)})"
    print(common.table(title, ["what", "figure"], soak_rows(n)))
    print()
    print(
        common.table(
            "Faults (Send API calls the simulator received in each window, by answer)",
            ["fault", "at s", "seconds", "Send API calls", "answered"],
            n["faults"],
        )
    )
    print()
    if n["stalls"]["count"]:
        title = (
            f"Where the loop was stuck ({n['stalls']['count']} stalls over 100 ms): the innermost "
            "frames of this integration (< its callers) and of Home Assistant in the loop "
            "thread's stack"
        )
        print(common.table(title, ["frame", "stalls"], n["stalls"]["top"]))
        print()
    rows = [[text, common.verdict(ok)] for text, ok, _ in verdicts]
    print(common.table("Targets", ["target", "result"], rows))
    print()


def summary_text(n: dict[str, Any]) -> str:
    """The figures of the SUMMARY line."""
    notes, casts, hooks = n["notifications"], n["broadcasts"], n["webhook"]
    explained = notes["duplicated"] - notes["unexplained"]
    faults = len(n["faults"]) - (1 if n["kill"] else 0)
    return (
        f"{notes['asked']:,} notifications asked, {notes['delivered']:,} delivered, "
        f"{len(notes['lost'])} lost, {notes['duplicated']} duplicated ({explained} explained); "
        f"{casts['delivered']:,} broadcast copies, {casts['missing']} missing; "
        f"{hooks['events']:,} webhook events, {hooks['twice_unexplained']} fired twice "
        f"unexplained; RSS {n['memory']['max_growth_mb']:+.1f} MB after warm-up; loop lag p99 "
        f"{n['lag']['p99_ms']:.1f} ms; {n['throttle']['cap_613']} x 613; {faults} faults, "
        f"{1 if n['kill'] else 0} kill; {sum(notes['refused'].values()):,} calls refused"
    )


if __name__ == "__main__":
    sys.exit(common.run(main))
