"""Voice notes for tests: speech made by espeak-ng, in Messenger's form (AAC in MP4), and the
sandbox's offline speech engine (config/custom_components/sphinx_stt)."""

from __future__ import annotations

from pathlib import Path
import shutil
import subprocess
import sys

import pytest

ROOT = Path(__file__).resolve().parents[1]
SANDBOX_INTEGRATIONS = ROOT / "config" / "custom_components"
ESPEAK = shutil.which("espeak-ng") or "espeak-ng"
FFMPEG = shutil.which("ffmpeg") or "ffmpeg"


def need_tools() -> None:
    """Skip where Debian's espeak-ng or ffmpeg is missing (scripts/setup installs both)."""
    missing = [tool for tool in ("espeak-ng", "ffmpeg") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not installed (scripts/setup installs them)")
    pytest.importorskip("pocketsphinx", reason="pocketsphinx==5.1.1 (requirements_test_extra)")


def voice_note(text: str, folder: Path) -> bytes:
    """`text` spoken by espeak-ng, as Messenger sends a voice note: AAC in an MP4 box."""
    wav, m4a = folder / "voice.wav", folder / "voice.m4a"
    speak = [ESPEAK, "-w", str(wav), text]
    encode = [FFMPEG, "-y", "-loglevel", "error", "-i", str(wav), "-c:a", "aac", "-f", "mp4"]
    subprocess.run(speak, check=True, capture_output=True)  # noqa: S603 (our own arguments)
    subprocess.run([*encode, str(m4a)], check=True, capture_output=True)  # noqa: S603
    return m4a.read_bytes()


def sandbox_engine_class() -> type:
    """The sandbox's `stt` entity class (its package is the sandbox's, not the integration's)."""
    if str(SANDBOX_INTEGRATIONS) not in sys.path:
        sys.path.insert(0, str(SANDBOX_INTEGRATIONS))
    from sphinx_stt.stt import SphinxSpeechToText

    return SphinxSpeechToText
