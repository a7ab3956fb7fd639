"""The voice path's edges: the format asked of ffmpeg, the engine's language, failures."""

from __future__ import annotations

from pathlib import Path
import shutil
from typing import Any

from homeassistant.components import stt
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest

from custom_components.facebook.voice import Transcriber, _language, choose_format


class Engine:
    """What `choose_format` reads of an stt entity."""

    def __init__(self, **kw: Any) -> None:
        self.supported_languages = kw.get("languages", ["en-US"])
        self.supported_formats = kw.get("formats", [stt.AudioFormats.WAV])
        self.supported_codecs = kw.get("codecs", [stt.AudioCodecs.PCM])
        self.supported_bit_rates = kw.get("bits", [stt.AudioBitRates.BITRATE_16])
        self.supported_sample_rates = kw.get("rates", [stt.AudioSampleRates.SAMPLERATE_16000])
        self.supported_channels = kw.get("channels", [stt.AudioChannels.CHANNEL_MONO])


def test_the_format_the_engine_asks_for() -> None:
    metadata, output = choose_format(Engine(), "en-US")  # type: ignore[arg-type,misc]
    assert output == ["-ac", "1", "-ar", "16000", "-f", "s16le"]
    assert metadata.format == stt.AudioFormats.WAV
    opus = Engine(
        formats=[stt.AudioFormats.OGG],
        codecs=[stt.AudioCodecs.OPUS],
        rates=[stt.AudioSampleRates.SAMPLERATE_48000],
        channels=[stt.AudioChannels.CHANNEL_STEREO],
    )
    metadata, output = choose_format(opus, "nl")  # type: ignore[arg-type,misc]
    assert output == ["-ac", "2", "-ar", "48000", "-c:a", "libopus", "-f", "ogg"]
    assert metadata.codec == stt.AudioCodecs.OPUS and metadata.language == "en-US"
    assert choose_format(Engine(bits=[stt.AudioBitRates.BITRATE_8]), "en-US") is None  # type: ignore[arg-type]
    assert choose_format(Engine(formats=[stt.AudioFormats.OGG]), "en-US") is None  # type: ignore[arg-type]


def test_the_engine_s_language() -> None:
    assert _language(["en-US", "nl-NL"], "nl-NL") == "nl-NL"
    assert _language(["en-US", "nl-NL"], "nl") == "nl-NL"
    assert _language(["en-US"], "fr") == "en-US"
    assert _language([], "fr") == "fr"


async def test_a_file_ffmpeg_cannot_read_gives_no_transcript(
    hass: HomeAssistant, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pytest.importorskip("haffmpeg")
    if shutil.which("ffmpeg") is None:
        pytest.skip("no ffmpeg here (scripts/setup installs Debian's)")
    assert await async_setup_component(hass, "stt", {})
    engine = Engine()
    transcriber = Transcriber(hass, "stt.x", "page")
    bad = tmp_path / "bad.m4a"
    bad.write_bytes(b"not audio at all")
    assert await transcriber._async_convert("ffmpeg", bad, ["-f", "s16le"]) is None
    assert "ffmpeg could not convert a voice note" in caplog.text
    transcriber.timeout = 0.000001
    assert await transcriber._async_convert("ffmpeg", bad, ["-f", "s16le"]) is None
    assert "ffmpeg took over" in caplog.text
    assert engine.supported_languages == ["en-US"]
