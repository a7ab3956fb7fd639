"""The sandbox's speech-to-text entity: WAV/PCM, 16 kHz, 16-bit, mono, US English."""

from __future__ import annotations

from collections.abc import AsyncIterable

from homeassistant.components.stt import (
    AudioBitRates,
    AudioChannels,
    AudioCodecs,
    AudioFormats,
    AudioSampleRates,
    SpeechMetadata,
    SpeechResult,
    SpeechResultState,
    SpeechToTextEntity,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .engine import Recognizer


async def async_setup_entry(
    hass: HomeAssistant, entry: ConfigEntry, async_add_entities: AddEntitiesCallback
) -> None:
    """The one entity."""
    async_add_entities([SphinxSpeechToText(entry.entry_id)])


class SphinxSpeechToText(SpeechToTextEntity):
    """PocketSphinx with the sandbox's grammar."""

    _attr_name = "Sandbox speech"
    _attr_has_entity_name = False

    def __init__(self, unique_id: str) -> None:
        """The entity (the model loads on first use)."""
        self._attr_unique_id = unique_id
        self._recognizer: Recognizer | None = None

    @property
    def supported_languages(self) -> list[str]:
        """US English only."""
        return ["en-US"]

    @property
    def supported_formats(self) -> list[AudioFormats]:
        """WAV (headerless PCM, as the assist pipeline streams it)."""
        return [AudioFormats.WAV]

    @property
    def supported_codecs(self) -> list[AudioCodecs]:
        """PCM."""
        return [AudioCodecs.PCM]

    @property
    def supported_bit_rates(self) -> list[AudioBitRates]:
        """16-bit."""
        return [AudioBitRates.BITRATE_16]

    @property
    def supported_sample_rates(self) -> list[AudioSampleRates]:
        """16 kHz."""
        return [AudioSampleRates.SAMPLERATE_16000]

    @property
    def supported_channels(self) -> list[AudioChannels]:
        """Mono."""
        return [AudioChannels.CHANNEL_MONO]

    async def async_process_audio_stream(
        self, metadata: SpeechMetadata, stream: AsyncIterable[bytes]
    ) -> SpeechResult:
        """Collect the audio, then recognise it in the executor."""
        audio = b"".join([chunk async for chunk in stream])
        text = await self.hass.async_add_executor_job(self._transcribe, audio)
        if not text:
            return SpeechResult(None, SpeechResultState.ERROR)
        return SpeechResult(text, SpeechResultState.SUCCESS)

    def _transcribe(self, audio: bytes) -> str:
        if self._recognizer is None:
            self._recognizer = Recognizer()
        return self._recognizer.transcribe(audio)
