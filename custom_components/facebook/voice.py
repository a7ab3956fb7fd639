"""Voice notes into words: an audio attachment transcribed by the `speech_to_text` engine.

Messenger sends voice notes as AAC in MP4. Home Assistant's `stt` entities take what they
declare (`supported_formats`, codecs, sample rates, bit rates, channels; the assist pipeline's
own choice is WAV/PCM, 16 kHz, 16-bit, mono, streamed as headerless s16le). The note is converted
with Home Assistant's ffmpeg (the `ffmpeg` integration's binary) into the closest the engine asks
for, then streamed to `async_process_audio_stream`. Any engine works: Whisper, Home Assistant
Cloud, Speech-to-Phrase, ... The integration has no requirement of its own.

No engine, no ffmpeg, an engine error or a silence: no transcript (the event still fires), and
the log says why once per reason.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
import time
from typing import TYPE_CHECKING, Any

from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component

from .const import LOGGER

if TYPE_CHECKING:
    from homeassistant.components.stt import SpeechMetadata, SpeechToTextEntity

MAX_SECONDS = 300  # a voice note longer than 5 minutes is cut there
CHUNK = 8192
DEFAULT_TIMEOUT = 60.0


async def async_prepare_voice(hass: HomeAssistant, label: str) -> None:
    """Set up what voice notes need (`stt`, `ffmpeg`) with the page, not when the first note
    arrives; a page without `speech_to_text` never loads them. What fails is said again, once,
    by the transcriber when a voice note comes."""
    for domain in ("stt", "ffmpeg"):
        if domain not in hass.config.components and not await async_setup_component(
            hass, domain, {}
        ):
            LOGGER.warning("%s: %s could not be set up for voice notes", label, domain)


@dataclass(slots=True)
class VoiceTimings:
    """How long the last voice note took, in seconds (for the logs and measurements)."""

    conversion: float = 0.0
    transcription: float = 0.0


@dataclass(slots=True)
class Transcriber:
    """One page's speech engine (an `stt` entity id), used through Home Assistant's APIs."""

    hass: HomeAssistant
    entity_id: str
    label: str
    timeout: float = DEFAULT_TIMEOUT
    last: VoiceTimings = field(default_factory=VoiceTimings)
    _said: set[str] = field(default_factory=set)

    def _once(self, reason: str, message: str, *args: Any) -> None:
        """A reason there is no transcript, logged the first time only."""
        if reason not in self._said:
            self._said.add(reason)
            LOGGER.warning("%s: voice notes get no transcript: " + message, self.label, *args)

    async def async_transcribe(self, path: Path) -> str | None:
        """The words of the audio file at `path`, or None (the log says why, once)."""
        entity = await self._async_engine()
        if entity is None:
            return None
        binary = await self._async_ffmpeg()
        if binary is None:
            return None
        chosen = choose_format(entity, self.hass.config.language)
        if chosen is None:
            self._once(
                "format",
                "%s takes no format ffmpeg can make here (WAV/PCM 16-bit or OGG/Opus)",
                self.entity_id,
            )
            return None
        metadata, output = chosen
        started = time.monotonic()
        audio = await self._async_convert(binary, path, output)
        converted = time.monotonic()
        self.last.conversion = converted - started
        if audio is None:
            return None
        text = await self._async_recognise(entity, metadata, audio)
        self.last.transcription = time.monotonic() - converted
        return text

    async def _async_engine(self) -> SpeechToTextEntity | None:
        from homeassistant.components import stt  # only pages with voice load it

        if "stt" not in self.hass.config.components and not await async_setup_component(
            self.hass, "stt", {}
        ):
            self._once("stt", "Home Assistant's speech-to-text could not be set up")
            return None
        entity = stt.async_get_speech_to_text_entity(self.hass, self.entity_id)
        if entity is None:
            self._once("engine", "the speech-to-text entity %s does not exist", self.entity_id)
        return entity

    async def _async_ffmpeg(self) -> str | None:
        try:
            from homeassistant.components import ffmpeg

            if "ffmpeg" not in self.hass.config.components and not await async_setup_component(
                self.hass, "ffmpeg", {}
            ):
                raise RuntimeError("setup failed")
            return str(ffmpeg.get_ffmpeg_manager(self.hass).binary)
        except (ImportError, RuntimeError, ValueError) as err:
            self._once("ffmpeg", "Home Assistant's ffmpeg is not available (%s)", err)
            return None

    async def _async_convert(self, binary: str, path: Path, output: list[str]) -> bytes | None:
        """The note in the engine's format, whole (a few seconds of speech: small)."""
        args = ["-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(path)]
        args += ["-t", str(MAX_SECONDS), "-vn", *output, "pipe:"]
        try:
            process = await asyncio.create_subprocess_exec(
                binary,
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
        except OSError as err:
            self._once("ffmpeg", "ffmpeg (%s) could not run: %s", binary, err)
            return None
        try:
            async with asyncio.timeout(self.timeout):
                audio, errors = await process.communicate()
        except TimeoutError:
            process.kill()
            await process.wait()
            self._once("convert-timeout", "ffmpeg took over %.0f s", self.timeout)
            return None
        if process.returncode != 0 or not audio:
            detail = errors.decode(errors="replace").strip().splitlines()[-1:] or ["no audio"]
            self._once("convert", "ffmpeg could not convert a voice note: %s", detail[0])
            return None
        return audio

    async def _async_recognise(
        self, entity: SpeechToTextEntity, metadata: SpeechMetadata, audio: bytes
    ) -> str | None:
        from homeassistant.components.stt import SpeechResultState

        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(audio), CHUNK):
                yield audio[start : start + CHUNK]

        try:
            async with asyncio.timeout(self.timeout):
                result = await entity.async_process_audio_stream(metadata, chunks())
        except TimeoutError:
            self._once("engine-timeout", "%s took over %.0f s", self.entity_id, self.timeout)
            return None
        except Exception as err:  # an engine's failure, whatever it is, must not lose the event
            self._once("engine-error", "%s failed: %s", self.entity_id, err)
            return None
        if result.result is not SpeechResultState.SUCCESS:
            self._once("engine-error", "%s could not transcribe a voice note", self.entity_id)
            return None
        text = (result.text or "").strip()
        return text or None


def choose_format(
    entity: SpeechToTextEntity, language: str
) -> tuple[SpeechMetadata, list[str]] | None:
    """What to ask of ffmpeg, and the metadata to tell the engine; None if nothing fits."""
    from homeassistant.components.stt import (
        AudioBitRates,
        AudioChannels,
        AudioCodecs,
        AudioFormats,
        AudioSampleRates,
        SpeechMetadata,
    )

    rates = sorted(entity.supported_sample_rates, key=lambda r: (r != 16000, -r.value))
    channels = sorted(entity.supported_channels, key=lambda c: c.value)
    if not rates or not channels or AudioBitRates.BITRATE_16 not in entity.supported_bit_rates:
        return None
    rate, channel = rates[0], channels[0]
    layout = ["-ac", str(channel.value), "-ar", str(rate.value)]
    if AudioFormats.WAV in entity.supported_formats and AudioCodecs.PCM in entity.supported_codecs:
        audio_format, codec, output = AudioFormats.WAV, AudioCodecs.PCM, ["-f", "s16le"]
    elif (
        AudioFormats.OGG in entity.supported_formats
        and AudioCodecs.OPUS in entity.supported_codecs
        and rate in (AudioSampleRates.SAMPLERATE_16000, AudioSampleRates.SAMPLERATE_48000)
    ):
        audio_format, codec = AudioFormats.OGG, AudioCodecs.OPUS
        output = ["-c:a", "libopus", "-f", "ogg"]
    else:
        return None
    metadata = SpeechMetadata(
        language=_language(entity.supported_languages, language),
        format=audio_format,
        codec=codec,
        bit_rate=AudioBitRates.BITRATE_16,
        sample_rate=rate,
        channel=channel if isinstance(channel, AudioChannels) else AudioChannels(channel),
    )
    return metadata, [*layout, *output]


def _language(supported: list[str], wanted: str) -> str:
    """Home Assistant's language if the engine has it, else one of its region, else its first."""
    if wanted in supported or not supported:
        return wanted
    base = wanted.split("-")[0].lower()
    return next((s for s in supported if s.split("-")[0].lower() == base), supported[0])
