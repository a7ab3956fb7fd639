"""The setup script refuses a Python that is too old, with a message that says what to do."""

from __future__ import annotations

import os
from pathlib import Path
import subprocess

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
