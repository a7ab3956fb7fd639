"""The setup script: it refuses a Python that is too old, and the venv it builds works."""

from __future__ import annotations

import ast
import os
from pathlib import Path
import subprocess
import sys

ROOT = Path(__file__).parent.parent


def test_setup_refuses_a_python_that_is_too_old(tmp_path: Path) -> None:
    old_python = tmp_path / "python3"
    old_python.write_text("#!/bin/sh\necho 3.11.9\n")  # answers the version probe like 3.11
    old_python.chmod(0o755)
    result = subprocess.run(  # noqa: S603 - our own script
        [str(ROOT / "scripts/setup")],
        env={**os.environ, "FB_PYTHON": str(old_python)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "no usable Python found" in result.stderr
    assert "3.13 or newer" in result.stderr


def test_the_venv_resolves_host_names() -> None:
    """The venv setup builds can resolve names: Home Assistant's resolver is aiodns (c-ares).

    Home Assistant 2025.4.4 pins aiodns 3.2.0, which fails on pycares 5 (requirements_test_extra
    pins pycares for it). Without a working resolver, every integration that looks a name up fails,
    and the config flow's default Graph URL answers HTTP 500. In a fresh process, as `hass` runs.
    """
    code = (
        "import asyncio, aiodns\n"
        "async def main():\n"
        "    answer = await aiodns.DNSResolver().getaddrinfo('localhost')\n"
        "    print(sorted({node.addr[0].decode() for node in answer.nodes}))\n"
        "asyncio.run(main())\n"
    )
    result = subprocess.run(  # noqa: S603 - the venv's own Python
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert {"127.0.0.1", "::1"} & set(ast.literal_eval(result.stdout))
