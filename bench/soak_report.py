"""The soak's accounting: what was asked, what Meta got, what fired, and why any copy is extra.

Every figure comes from the records the soak kept (each REST call, each webhook post, each
websocket event) and from the simulator's own recordings (each accepted message, each Graph
answer). A duplicate counts as explained only when the sender could not have known Meta had the
earlier copy: its answer was lost (the simulator dropped the connection after accepting it), it
timed out, or Meta accepted it at most ``KILL_WINDOW`` before the SIGKILL (the outbox's removal
of it may not have reached the disk). Anything else is reported as unexplained.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
import itertools
from typing import Any

from bench import common
from bench.soak_faults import INJECTED_613, Kill, Scenario, Window
from bench.soak_load import (
    NOTIFY_PREFIX,
    Call,
    Collector,
    Observer,
    Posted,
    Samplers,
    WebhookTraffic,
)
from bench.soak_stack import People, Plan
from custom_components.facebook.messenger.client import REQUEST_TIMEOUT as GRAPH_TIMEOUT
from custom_components.facebook.messenger.outbox import MAX_MESSAGES
from custom_components.facebook.redelivery import SEEN_SAVE_DELAY

KILL_WINDOW = 1.0  # s: accepted this close before the kill, its removal may not be on disk
OBSERVE_WINDOW = 1.0  # s: fired this close before the kill, the websocket may not have said so
SEEN_WINDOW = SEEN_SAVE_DELAY + 1.0  # s: the redelivery memory is saved at most 2 s behind
MB = 1_000_000 / 1024 / 1024  # MiB per MB
GROWTH_TARGET_MB = 10.0
LAG_TARGET_MS = 50.0

type CopyKey = tuple[str, str]  # (text, recipient)


@dataclass
class Records:
    """Everything one run recorded."""

    plan: Plan
    people: People
    t0: float
    load_end: float
    scenario: Scenario
    calls: list[Call]
    broadcasts: list[Call]
    traffic: WebhookTraffic
    observer: Observer
    samplers: Samplers
    collector: Collector
    drain_seconds: float | None
    peak_in_flight: int
    hass_log: str  # both runs' output: the reasons of refused calls are only there


def copies_by_key(collector: Collector) -> dict[CopyKey, list[float]]:
    """When the simulator accepted each copy of each (text, recipient), in order."""
    copies: defaultdict[CopyKey, list[float]] = defaultdict(list)
    for copy in collector.copies:
        copies[(copy.text, copy.recipient)].append(copy.received_at)
    for times in copies.values():
        times.sort()
    return copies


def why_resent(at: float, status: int | None, scenario: Scenario) -> str | None:
    """Why the sender could not know Meta had the copy accepted at ``at`` (None: no reason)."""
    if status == 0:
        return "lost answer"
    for window in scenario.windows:
        too_slow = window.spec.get("seconds", 0.0) >= GRAPH_TIMEOUT
        if window.spec["kind"] == "delay" and too_slow and window.start <= at <= window.end:
            return "timeout"
    kill = scenario.kill
    if kill is not None and kill.killed - KILL_WINDOW <= at <= kill.killed:
        return "kill"
    return None


def explain(
    key: CopyKey, times: list[float], statuses: dict[tuple[str, str, float], int], run: Records
) -> str | None:
    """Why each copy but the last was sent again; None if one of them has no reason."""
    reasons = set()
    for at in times[:-1]:
        reason = why_resent(at, statuses.get((*key, at)), run.scenario)
        if reason is None:
            return None
        reasons.add(reason)
    return " + ".join(sorted(reasons))


def answer_statuses(collector: Collector) -> dict[tuple[str, str, float], int]:
    """How the simulator answered each accepted call, by (text, recipient, received_at)."""
    return {
        (a.text, a.recipient, a.received_at): a.status
        for a in collector.answers
        if a.text is not None and a.recipient is not None
    }


def duplicates(
    keys: list[CopyKey], copies: dict[CopyKey, list[float]], run: Records
) -> Counter[str]:
    """The keys with more than one copy, counted by explanation ("unexplained" for none)."""
    statuses = answer_statuses(run.collector)
    found: Counter[str] = Counter()
    for key in keys:
        times = copies.get(key, [])
        if len(times) > 1:
            found[explain(key, times, statuses, run) or "unexplained"] += 1
    return found


def refusal_reasons(log: str) -> Counter[str]:
    """Why notify calls failed, from the errors Home Assistant logged for them."""
    reasons: Counter[str] = Counter()
    for line in log.splitlines():
        if line.startswith("homeassistant.exceptions.HomeAssistantError: notify."):
            reasons[_reason(line)] += 1
    return reasons


def broadcast_failures(log: str) -> Counter[str]:
    """Why BROADCAST copies failed, from the warnings the integration logged for them."""
    marker = ": BROADCAST to "
    return Counter(
        _reason(line) for line in log.splitlines() if marker in line and " failed: " in line
    )


def _reason(line: str) -> str:
    """The gist of one failure line: what kept the message (digits kept, target dropped)."""
    if "not kept for later: " in line:
        return "not kept for later: " + line.split("not kept for later: ", 1)[1].split(" (")[0]
    tail = line.split("): ", 1)[-1] if "): " in line else line
    return tail.split("; ")[0][:90]


def in_flight_at_kill(call: Call, kill: Kill | None) -> bool:
    """A call without an answer that was running when Home Assistant was killed."""
    return kill is not None and call.status is None and call.started <= kill.killed <= call.ended


def notification_figures(run: Records, copies: dict[CopyKey, list[float]]) -> dict[str, Any]:
    """Asked, delivered, lost, duplicated, refused, in flight at the kill."""
    kill = run.scenario.kill
    asked = [c for c in run.calls if c.asked]
    keys = [(c.text, c.psid or "") for c in run.calls]
    lost = [c.text for c in asked if not copies.get((c.text, c.psid or ""))]
    killed = [c for c in run.calls if in_flight_at_kill(c, kill)]
    refused = Counter(c.reason for c in run.calls if not c.asked and c not in killed)
    logged = refusal_reasons(run.hass_log)
    dups = duplicates(keys, copies, run)
    expected = set(keys)
    stray = [k for k in copies if k[0].startswith(NOTIFY_PREFIX) and k not in expected]
    return {
        "calls": len(run.calls),
        "asked": len(asked),
        "delivered": len(asked) - len(lost),
        "lost": lost,
        "duplicated": sum(dups.values()),
        "duplicates": dict(dups),
        "unexplained": dups.get("unexplained", 0),
        "refused": dict(refused),
        "refused_logged": dict(logged),
        "in_flight_at_kill": len(killed),
        "in_flight_delivered": sum(1 for c in killed if copies.get((c.text, c.psid or ""))),
        "stray_copies": len(stray),
        "call_p50_s": common.median([c.ended - c.started for c in asked]),
        "call_p99_s": common.percentile([c.ended - c.started for c in asked], 0.99),
    }


def report_of(call: Call, observer: Observer) -> dict[str, Any]:
    """The ``facebook_broadcast_finished`` a BROADCAST call fired (sent/failed/queued)."""
    for at, data in observer.broadcasts:
        if call.started <= at <= call.ended + 2.0:
            return data
    return {}


def broadcast_figures(run: Records, copies: dict[CopyKey, list[float]]) -> dict[str, Any]:
    """Each asked BROADCAST must reach everyone once, but those the integration reported
    failed (``facebook_broadcast_finished``: ``failed``, with the reasons in its log)."""
    asked = [b for b in run.broadcasts if b.asked]
    keys = [(b.text, psid) for b in asked for psid in run.people.everyone]
    missing = [k for k in keys if not copies.get(k)]
    dups = duplicates(keys, copies, run)
    reports = [report_of(b, run.observer) for b in asked]
    failed = sum(int(r.get("failed", 0)) for r in reports)
    return {
        "reported_sent": sum(int(r.get("sent", 0)) for r in reports),
        "reported_queued": sum(int(r.get("queued", 0)) for r in reports),
        "reported_failed": failed,
        "unreported_missing": max(0, len(missing) - failed),
        "failed_reasons": dict(broadcast_failures(run.hass_log)),
        "calls": len(run.broadcasts),
        "asked": len(asked),
        "refused": [b.reason for b in run.broadcasts if not b.asked],
        "audience": len(run.people.everyone),
        "expected": len(keys),
        "delivered": len(keys) - len(missing),
        "missing": len(missing),
        "duplicated": sum(dups.values()),
        "duplicates": dict(dups),
        "unexplained": dups.get("unexplained", 0),
        "call_max_s": max((b.ended - b.started for b in asked), default=float("nan")),
    }


def refire_explained(event: Posted, kill: Kill | None) -> bool:
    """Fired twice because of the kill: in flight at it, or remembered too late to survive it."""
    if kill is None:
        return False
    straddled = any(s <= kill.killed <= e and status != 200 for s, e, status, _ in event.attempts)
    late = event.answered is not None and kill.killed - SEEN_WINDOW <= event.answered <= kill.killed
    again = any(s >= kill.ready for s, _, _, _ in event.attempts)
    return straddled or (late and again)


def unseen_explained(event: Posted, kill: Kill | None) -> bool:
    """Never seen firing because the websocket died with the process right after it fired."""
    if kill is None:
        return False
    straddled = any(s <= kill.killed <= e for s, e, _, _ in event.attempts)
    answered = event.answered
    return straddled or (
        answered is not None and kill.killed - OBSERVE_WINDOW <= answered <= kill.killed
    )


def webhook_figures(run: Records) -> dict[str, Any]:
    """Events posted, fired once, twice (explained or not), never; strangers who fired."""
    kill = run.scenario.kill
    events = run.traffic.events
    fired = run.observer.fired
    counts = Counter(len(fired.get(e.key, ())) for e in events if e.fires)
    twice = [e for e in events if e.fires and len(fired.get(e.key, ())) > 1]
    never = [e for e in events if e.fires and not fired.get(e.key)]
    attempts = [a for e in events for a in e.attempts]
    return {
        "events": len(events),
        "by_kind": dict(Counter(e.kind for e in events)),
        "posts": len(attempts),
        "deliberate_duplicates": sum(1 for a in attempts if a[3]),
        "redeliveries": sum(max(0, len([a for a in e.attempts if not a[3]]) - 1) for e in events),
        "failed_posts": sum(1 for a in attempts if a[2] != 200),
        "never_answered": sum(1 for e in events if e.answered is None),
        "expected": sum(1 for e in events if e.fires),
        "fired_once": counts.get(1, 0),
        "fired_twice": len(twice),
        "twice_unexplained": sum(1 for e in twice if not refire_explained(e, kill)),
        "never_fired": len(never),
        "never_unexplained": sum(1 for e in never if not unseen_explained(e, kill)),
        "strangers_fired": sum(1 for e in events if not e.fires and fired.get(e.key)),
        "websocket_connections": run.observer.connections,
    }


def memory_figures(run: Records) -> dict[str, Any]:
    """Resident memory of each hass process: when ready, after the warm-up, at its end."""
    processes = []
    for pid, ready in run.scenario.readies.items():
        samples = [(t, mib) for p, t, mib in run.samplers.rss if p == pid and t >= ready]
        warm = [mib for t, mib in samples if t >= ready + run.plan.warmup]
        if not samples:
            continue
        processes.append(
            {
                "pid": pid,
                "ready_mb": samples[0][1] / MB,
                "warm_mb": warm[0] / MB if warm else float("nan"),
                "end_mb": samples[-1][1] / MB,
                "growth_mb": (samples[-1][1] - warm[0]) / MB if warm else float("nan"),
                "seconds": samples[-1][0] - ready,
            }
        )
    raw = processes[-1]["end_mb"] - processes[0]["ready_mb"] if processes else float("nan")
    growths = [p["growth_mb"] for p in processes]
    return {
        "processes": processes,
        "raw_growth_mb": raw,
        "max_growth_mb": max(growths, default=float("nan")),
    }


def lag_figures(run: Records) -> dict[str, Any]:
    """How late the probe's 50 ms timer fired, from each process's ready moment on."""
    readies = run.scenario.readies
    kept = [(ms, t) for pid, t, ms in run.samplers.lag if pid in readies and t >= readies[pid]]
    worst = max(kept, default=(float("nan"), run.t0))
    over = sum(1 for ms, _ in kept if ms >= LAG_TARGET_MS)
    return {
        "samples": len(kept),
        "excluded": len(run.samplers.lag) - len(kept),
        "p50_ms": common.percentile([ms for ms, _ in kept], 0.5),
        "p99_ms": common.percentile([ms for ms, _ in kept], 0.99),
        "max_ms": worst[0],
        "max_at": _moment(run, worst[1]),
        "over_target": over,
    }


def outbox_figures(run: Records) -> dict[str, Any]:
    """The outbox file's size over the run: its peak, time spent at the cap, the drain."""
    samples = run.samplers.outbox
    peak = max(samples, key=lambda s: s[1], default=(run.t0, 0))
    at_cap = sum(
        later[0] - sample[0]
        for sample, later in itertools.pairwise(samples)
        if sample[1] >= MAX_MESSAGES
    )
    after = [s for s in samples if s[0] >= run.load_end]
    empty = next((t for t, waiting in after if waiting == 0), None)
    drain_rate = float("nan")
    if after and empty is not None and empty > after[0][0]:
        drain_rate = after[0][1] / (empty - after[0][0])
    return {
        "peak": peak[1],
        "peak_at": _moment(run, peak[0]),
        "cap": MAX_MESSAGES,
        "seconds_at_cap": at_cap,
        "waiting_at_load_end": after[0][1] if after else 0,
        "drain_per_second": drain_rate,
    }


def peak_per_second(times: list[float]) -> tuple[int, float]:
    """Most accepted calls in any (t - 1 s, t] window (the simulator's own definition), and
    the t where that window ends."""
    ordered = sorted(times)
    peak, at, low = 0, float("nan"), 0
    for high, moment in enumerate(ordered):
        while moment - ordered[low] >= 1.0:
            low += 1
        if high - low + 1 > peak:
            peak, at = high - low + 1, moment
    return peak, at


def throttle_figures(run: Records) -> dict[str, Any]:
    """613 answers from the cap (not injected), the injected throttling, the peak rate, and
    when the cap's 613s came (with the BROADCAST running then, if any)."""
    answers = run.collector.answers
    cap = [a.received_at for a in answers if a.code == 613 and a.message != INJECTED_613]
    peak, peak_at = peak_per_second([c.received_at for c in run.collector.copies])
    return {
        "cap_613": len(cap),
        "cap_613_at": [_moment(run, at) for at in cap[:20]],
        "injected_613": sum(1 for a in answers if a.message == INJECTED_613),
        "injected_80006": sum(1 for a in answers if a.code == 80006),
        "send_calls": len(answers),
        "peak_per_second": peak,
        "peak_at": _moment(run, peak_at),
    }


def _moment(run: Records, at: float) -> str:
    """``at`` as seconds into the load, naming the BROADCAST or fault running then."""
    during = [b.text for b in run.broadcasts if b.started <= at <= (b.ended or at)]
    windows = [*run.scenario.windows, *([run.scenario.kill.window] if run.scenario.kill else [])]
    during += [w.label for w in windows if w.start <= at <= w.end]
    return f"{at - run.t0:.2f} s" + (f" ({', '.join(during)})" if during else "")


def fault_rows(run: Records) -> list[list[Any]]:
    """One row per fault: when, how long, the Send API calls it met and how they were answered."""
    windows: list[Window] = list(run.scenario.windows)
    if run.scenario.kill is not None:
        windows.append(run.scenario.kill.window)
    rows = []
    for window in sorted(windows, key=lambda w: w.start):
        hit = [a for a in run.collector.answers if window.start <= a.received_at <= window.end]
        how = Counter(_answered(a.status, a.code) for a in hit)
        text = ", ".join(f"{what} x{n}" for what, n in how.most_common())
        at, seconds = window.start - run.t0, window.end - window.start
        rows.append([window.label, f"{at:.1f}", f"{seconds:.1f}", len(hit), text])
    return rows


def _answered(status: int, code: int | None) -> str:
    """How one answer reads in the fault table."""
    if status == 0:
        return "no answer"
    return f"{status}/{code}" if code is not None else str(status)


def figures(run: Records) -> dict[str, Any]:
    """Every figure of the run."""
    copies = copies_by_key(run.collector)
    kill = run.scenario.kill
    return {
        "notifications": notification_figures(run, copies),
        "broadcasts": broadcast_figures(run, copies),
        "webhook": webhook_figures(run),
        "memory": memory_figures(run),
        "lag": lag_figures(run),
        "outbox": outbox_figures(run),
        "send_failed_events": len(run.observer.send_failed),
        "stalls": stall_figures(run.samplers.stalls),
        "throttle": throttle_figures(run),
        "faults": fault_rows(run),
        "kill": None
        if kill is None
        else {
            "at_s": kill.killed - run.t0,
            "outbox_waiting": kill.waiting,
            "down_s": kill.ready - kill.killed,
        },
        "load_s": run.load_end - run.t0,
        "drain_s": run.drain_seconds,
        "peak_in_flight": run.peak_in_flight,
    }


def series(run: Records, step: float = 10.0) -> dict[str, list[list[float]]]:
    """RSS, outbox size and worst lag every ``step`` seconds (for the JSON results)."""
    out: dict[str, list[list[float]]] = {"rss_mb": [], "outbox": [], "lag_max_ms": []}
    for pid, t, mib in run.samplers.rss:
        if not out["rss_mb"] or t - run.t0 >= out["rss_mb"][-1][0] + step:
            out["rss_mb"].append([round(t - run.t0, 1), round(mib / MB, 1), pid])
    for t, waiting in run.samplers.outbox:
        if not out["outbox"] or t - run.t0 >= out["outbox"][-1][0] + step:
            out["outbox"].append([round(t - run.t0, 1), waiting])
    worst: defaultdict[int, float] = defaultdict(float)
    for _, t, ms in run.samplers.lag:
        bucket = int((t - run.t0) // step)
        worst[bucket] = max(worst[bucket], ms)
    out["lag_max_ms"] = [[bucket * step, round(ms, 1)] for bucket, ms in sorted(worst.items())]
    return out


def stall_figures(stalls: list[dict[str, Any]], top: int = 12) -> dict[str, Any]:
    """Where the loop was stuck: each stall counted under the innermost three frames of this
    integration (innermost first, then its callers), and apart under the innermost frame of
    Home Assistant's own code."""
    ours: Counter[str] = Counter()
    core: Counter[str] = Counter()
    for stall in stalls:
        stack = stall["stack"]
        mine = [f for f in stack if "/custom_components/facebook/" in f]
        theirs = [f for f in stack if "/homeassistant/" in f and "/custom_components/" not in f]
        chain = " < ".join(_short(f) for f in reversed(mine[-3:]))  # innermost first
        ours[chain or "(no frame of the integration)"] += 1
        core[_short(theirs[-1]) if theirs else "(no frame of Home Assistant)"] += 1
    rows = [[f"integration: {frame}", n] for frame, n in ours.most_common(top)]
    rows += [[f"Home Assistant: {frame}", n] for frame, n in core.most_common(top // 2)]
    return {"count": len(stalls), "top": rows}


def _short(frame: str) -> str:
    """``/long/path/pkg/module.py:12 func`` as ``pkg/module.py:12 func``."""
    path, _, rest = frame.partition(":")
    return "/".join(path.split("/")[-2:]) + ":" + rest
