"""The benchmarks still run: each one's ``--quick`` mode, in a process of its own.

This checks that every benchmark starts its simulator and Home Assistant, measures, prints its
table and ends with its ``SUMMARY`` line; it asserts nothing about speed (that is what the full
runs in the README's "Performance" section are for).
"""

from __future__ import annotations

import os
from pathlib import Path
import re
import subprocess
import sys

import pytest

ROOT = Path(__file__).resolve().parents[1]

# benchmark -> what its summary line must say
SUMMARIES = {
    "broadcast": r"SUMMARY broadcast: \d+ msg/s = [\d.]+ of cap to [\d,]+ people, peak \d+/s, "
    r"\d+ x 613, \d+x the classic loop",
    "webhook_ingest": r"SUMMARY webhook_ingest: 1,000-event batch answered in \d+ ms median / "
    r"\d+ ms p99, [\d,]+ events/s = [\d.]+x the bare handler's time; single event [\d.]+ ms",
    "notify_latency": r"SUMMARY notify_latency: [\d.]+ ms median from the service call to the "
    r"simulator vs [\d.]+ ms for a raw POST = [\d.]+x .*; entity [\d.]+x \([\d.]+x a bare "
    r"notify entity\), facebook.send_message [\d.]+x; worst [\d.]+x",
    "assist": r"SUMMARY assist: [\d.]+ ms median from the webhook POST to the answer at the "
    r"simulator vs [\d.]+ ms for the agent alone = [\d.]+x \([\d.]+ ms added; the floor of two "
    r"HTTP hops is [\d.]+x, the integration [\d.]+x the floor\)",
    "ask": r"SUMMARY ask: [\d.]+ ms median from the tap's webhook POST to the script resuming "
    r"vs [\d.]+ ms for a script waiting in a bare service = [\d.]+x \(target 1.2x\); [\d.]+x "
    r"it with the message's entities; [\d.]+x a bare view resolving a future",
    "memory": r"SUMMARY memory: [+-][\d.]+ MB after [\d,]+ webhook events .* and [\d,]+ outbox "
    r"round trips",
    "soak": r"SUMMARY soak: [\d,]+ notifications asked, [\d,]+ delivered, \d+ lost, \d+ duplicated "
    r"\(\d+ explained\); [\d,]+ broadcast copies, \d+ missing; [\d,]+ webhook events, \d+ fired "
    r"twice unexplained; RSS [+-][\d.]+ MB after warm-up; loop lag p99 [\d.]+ ms; \d+ x 613; "
    r"\d+ faults, 1 kill",
}
# The soak's quick mode runs Home Assistant as a process twice (a kill and a restart) under about
# a minute of load: it needs more than the others' 120 s.
TIMEOUTS = {"soak": 240}


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", list(SUMMARIES))
def test_quick_run_prints_its_table_and_summary(name: str, socket_enabled: None) -> None:
    # The benchmarks need no coverage tracing (it would only slow them down).
    env = {k: v for k, v in os.environ.items() if not k.startswith("COV_CORE")}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(  # noqa: S603 - our own benchmark
        [sys.executable, "-m", f"bench.{name}", "--quick", "--no-save"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUTS.get(name, 120),
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "| " in result.stdout, output  # a table
    last = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(SUMMARIES[name] + r".*", last), last
