"""End to end: a voice note on a real `hass` with the sandbox configuration.

Alice says "turn on the hall light" (espeak-ng, then AAC in MP4 as Messenger sends it); the
simulator posts the signed webhook with its attachment URL; Home Assistant downloads it, converts
it with its ffmpeg, transcribes it with the sandbox's offline engine (PocketSphinx), Assist turns
the hall light on, and the answer comes back to the chat. The time from the webhook POST to the
answer is printed (`pytest -s`) with its split, read from the integration's debug log.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
import re
import time

import pytest

from tests.e2e.harness import ALICE, Stack, running_stack
from tests.voice_helpers import need_tools, voice_note

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
TIMING = re.compile(
    r"voice note from \d+: download ([\d.]+) s, conversion ([\d.]+) s, transcription ([\d.]+) s"
)


@pytest.fixture
def stack(socket_enabled: None, tmp_path: Path) -> Iterator[Stack]:
    need_tools()
    with running_stack(tmp_path) as running:
        yield running


def test_a_voice_note_turns_on_the_hall_light(stack: Stack, tmp_path: Path) -> None:
    audio = voice_note("turn on the hall light", tmp_path)
    body = {
        "type": "audio",
        "content_type": "audio/mp4",
        "data": base64.b64encode(audio).decode(),
        "name": "audioclip.mp4",
    }
    rounds = []
    for attempt in range(3):  # the first loads the speech model and Assist's intents
        since = stack.count_sent()
        started = time.monotonic()
        stack.user(ALICE, "attachment", **body)
        sent = stack.wait_sent(since, lambda s: any(x["reply_to"] for x in s), "Assist's answer")
        total = time.monotonic() - started
        (answer,) = [s for s in sent if s["reply_to"] is not None and s["message"]]
        assert answer["message"]["text"] == "Turned on the switch"
        rounds.append(total)
        if attempt == 0:
            saved = list((stack.config_dir / "media" / "facebook").rglob("*.m4a"))
            assert len(saved) == 1 and saved[0].read_bytes() == audio
    log = stack.logs["hass"].read_text(encoding="utf-8", errors="replace")
    splits = TIMING.findall(log)
    assert len(splits) == 3, log[-3000:]
    for total, (download, conversion, transcription) in zip(rounds, splits, strict=True):
        agent = total - float(download) - float(conversion) - float(transcription)
        print(  # the report's numbers (pytest -s)
            f"\nvoice note, webhook POST to answer {total:.3f} s: download {download} s, "
            f"conversion {conversion} s, transcription {transcription} s, "
            f"agent and reply {agent:.3f} s"
        )
