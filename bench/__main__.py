"""Run every benchmark, one after another, each in a process of its own, then their summaries.

    .venv/bin/python -m bench [--quick] [--only broadcast webhook_ingest ...]

Extra arguments after ``--`` go to every benchmark (e.g. ``-- --no-save``).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
import subprocess
import sys
import time

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import common

BENCHMARKS = ("broadcast", "webhook_ingest", "notify_latency", "assist", "ask", "memory")


def main(argv: list[str] | None = None) -> int:
    """Run them; non-zero if any failed."""
    parse = argparse.ArgumentParser(description=__doc__)
    parse.add_argument("--quick", action="store_true", help="tiny sizes")
    parse.add_argument("--only", nargs="+", choices=BENCHMARKS, help="run only these")
    parse.add_argument("extra", nargs="*", help="passed to every benchmark (after --)")
    args = parse.parse_args(argv)
    print(f"Benchmarks; {common.machine_line()}", flush=True)
    summaries: list[str] = []
    failed: list[str] = []
    for name in args.only or BENCHMARKS:
        command = [sys.executable, "-m", f"bench.{name}", *(["--quick"] if args.quick else [])]
        command += args.extra
        print(f"\n$ {' '.join(['python', *command[1:]])}", flush=True)
        started = time.monotonic()
        process = subprocess.Popen(  # noqa: S603 - our own benchmarks
            command,
            cwd=common.ROOT,
            env={**os.environ, "PYTHONPATH": str(common.ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            if line.startswith("SUMMARY "):
                summaries.append(line.rstrip())
        if process.wait() != 0:
            failed.append(name)
        print(f"({name}: {time.monotonic() - started:.0f} s)", flush=True)
    print("\n" + "\n".join(summaries))
    if failed:
        print(f"FAILED: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
