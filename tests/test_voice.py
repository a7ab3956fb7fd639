"""Voice notes: converted with Home Assistant's ffmpeg, transcribed through its `stt` API by the
sandbox's offline engine, on the event, and answered by Assist."""

from __future__ import annotations

from collections.abc import AsyncIterable
from pathlib import Path
import time
from typing import Any

from aiohttp.test_utils import TestClient
from homeassistant.components import stt
from homeassistant.components.homeassistant.exposed_entities import async_expose_entity
from homeassistant.core import HomeAssistant
from homeassistant.setup import async_setup_component
import pytest
from pytest_homeassistant_custom_component.common import async_capture_events

from custom_components.facebook.const import EVENT_MESSAGE
from simulator import Simulator

from .conftest import ALICE, ClientFactory, SetupFacebook, post_events, runtime_of
from .voice_helpers import need_tools, sandbox_engine_class, voice_note

ENGINE = "stt.sandbox_speech"


async def add_engine(hass: HomeAssistant, entity: Any = None) -> None:
    """The sandbox's PocketSphinx engine (or `entity`) as an `stt` entity."""
    assert await async_setup_component(hass, "stt", {})
    entity = entity or sandbox_engine_class()("sandbox")
    await hass.data[stt.DATA_COMPONENT].async_add_entities([entity])
    assert hass.states.get(entity.entity_id) is not None


async def hall_light(hass: HomeAssistant) -> None:
    """The sandbox's hall light, exposed to the built-in agent."""
    for domain in ("homeassistant", "intent", "conversation"):
        assert await async_setup_component(hass, domain, {})
    config = {"input_boolean": {"hall_light": {"name": "Hall light"}}}
    assert await async_setup_component(hass, "input_boolean", config)
    async_expose_entity(hass, "conversation", "input_boolean.hall_light", True)


async def send_voice(
    hass: HomeAssistant, client: TestClient, sim: Simulator, audio: bytes
) -> dict[str, Any]:
    url = sim.attachment_url(audio, "audio/mp4", "audioclip.mp4")
    event = sim.message_event(ALICE, None, attachments=[("audio", url)])
    status, _ = await post_events(client, sim, [event])
    assert status == 200
    return event


async def test_a_voice_note_turns_the_hall_light_on_through_assist(
    hass: HomeAssistant,
    simulator: Simulator,
    media: Path,
    tmp_path: Path,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
) -> None:
    need_tools()
    await hall_light(hass)
    await add_engine(hass)
    await setup_facebook(speech_to_text=ENGINE, conversation_agent="conversation.home_assistant")
    client = await hass_client_no_auth()
    events = async_capture_events(hass, EVENT_MESSAGE)
    audio = voice_note("turn on the hall light", tmp_path)
    posted = time.monotonic()
    await send_voice(hass, client, simulator, audio)
    await hass.async_block_till_done(wait_background_tasks=True)
    (event,) = events
    assert event.data["transcript"] == "turn on the hall light"
    assert event.data["message"] == ""  # what the person typed: nothing
    (item,) = event.data["media"]
    assert item["type"] == "audio" and Path(item["path"]).read_bytes() == audio
    assert hass.states.get("input_boolean.hall_light").state == "on"
    (answer,) = [s for s in simulator.sent if s.recipient_id == ALICE and s.text]
    assert answer.text == "Turned on the switch"  # the built-in agent's words for it
    assert answer.reply_to == event.data["mid"]  # the answer quotes the voice note
    runtime = runtime_of(hass)
    assert runtime.inbound is not None and runtime.inbound.transcriber is not None
    timings = runtime.inbound.transcriber.last
    assert timings.conversion > 0 and timings.transcription > 0
    print(  # the split the report quotes (pytest -s)
        f"\nvoice note: POST to answer {answer.received_at - posted:.3f} s; "
        f"download {runtime.inbound.last.download:.3f} s, conversion {timings.conversion:.3f} s, "
        f"transcription {timings.transcription:.3f} s"
    )


async def test_without_an_engine_the_event_fires_without_a_transcript_said_once(
    hass: HomeAssistant,
    simulator: Simulator,
    media: Path,
    tmp_path: Path,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert await async_setup_component(hass, "stt", {})  # before the test server starts
    await setup_facebook(speech_to_text="stt.nobody")
    client = await hass_client_no_auth()
    events = async_capture_events(hass, EVENT_MESSAGE)
    for _ in range(2):
        await send_voice(hass, client, simulator, b"not really audio")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [e.data["transcript"] for e in events] == [None, None]
    assert len(events[0].data["media"]) == 1  # still saved
    assert caplog.text.count("speech-to-text entity stt.nobody does not exist") == 1


async def test_without_ffmpeg_the_event_fires_without_a_transcript_said_once(
    hass: HomeAssistant,
    simulator: Simulator,
    media: Path,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await add_engine(hass, _Engine("unused"))
    assert await async_setup_component(hass, "ffmpeg", {"ffmpeg": {"ffmpeg_bin": "/no/ffmpeg"}})
    await setup_facebook(speech_to_text="stt.fake_engine")
    client = await hass_client_no_auth()
    events = async_capture_events(hass, EVENT_MESSAGE)
    for _ in range(2):
        await send_voice(hass, client, simulator, b"audio")
    await hass.async_block_till_done(wait_background_tasks=True)
    assert [e.data["transcript"] for e in events] == [None, None]
    assert caplog.text.count("ffmpeg (/no/ffmpeg) could not run") == 1


class _Engine(stt.SpeechToTextEntity):
    """An engine that answers `text` (or fails) and records what it was given."""

    _attr_name = "Fake engine"

    def __init__(self, text: str | None, fail: bool = False) -> None:
        self.text = text
        self.fail = fail
        self.metadata: stt.SpeechMetadata | None = None
        self.audio = b""

    @property
    def supported_languages(self) -> list[str]:
        return ["en-US", "nl-NL"]

    @property
    def supported_formats(self) -> list[stt.AudioFormats]:
        return [stt.AudioFormats.WAV]

    @property
    def supported_codecs(self) -> list[stt.AudioCodecs]:
        return [stt.AudioCodecs.PCM]

    @property
    def supported_bit_rates(self) -> list[stt.AudioBitRates]:
        return [stt.AudioBitRates.BITRATE_16]

    @property
    def supported_sample_rates(self) -> list[stt.AudioSampleRates]:
        return [stt.AudioSampleRates.SAMPLERATE_44100, stt.AudioSampleRates.SAMPLERATE_16000]

    @property
    def supported_channels(self) -> list[stt.AudioChannels]:
        return [stt.AudioChannels.CHANNEL_MONO]

    async def async_process_audio_stream(
        self, metadata: stt.SpeechMetadata, stream: AsyncIterable[bytes]
    ) -> stt.SpeechResult:
        self.metadata = metadata
        self.audio = b"".join([chunk async for chunk in stream])
        if self.fail:
            raise RuntimeError("the engine broke")
        if self.text is None:
            return stt.SpeechResult(None, stt.SpeechResultState.ERROR)
        return stt.SpeechResult(self.text, stt.SpeechResultState.SUCCESS)


@pytest.mark.parametrize("fail", [False, True])
async def test_an_engine_error_fires_without_a_transcript(
    hass: HomeAssistant,
    simulator: Simulator,
    media: Path,
    tmp_path: Path,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
    caplog: pytest.LogCaptureFixture,
    fail: bool,
) -> None:
    need_tools()
    engine = _Engine(None, fail=fail)
    await add_engine(hass, engine)
    await setup_facebook(speech_to_text="stt.fake_engine")
    client = await hass_client_no_auth()
    events = async_capture_events(hass, EVENT_MESSAGE)
    await send_voice(hass, client, simulator, voice_note("hello", tmp_path))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events[0].data["transcript"] is None
    # What the engine asked for: 16 kHz mono 16-bit PCM in Home Assistant's language.
    assert engine.metadata is not None
    assert engine.metadata.sample_rate == stt.AudioSampleRates.SAMPLERATE_16000
    assert engine.metadata.language == "en-US"
    assert len(engine.audio) > 16000  # about a second of speech, 2 bytes a sample
    assert "stt.fake_engine" in caplog.text and ("failed" in caplog.text) == fail


async def test_voice_without_saving_is_transcribed_and_not_kept(
    hass: HomeAssistant,
    simulator: Simulator,
    media: Path,
    tmp_path: Path,
    setup_facebook: SetupFacebook,
    hass_client_no_auth: ClientFactory,
) -> None:
    need_tools()
    await add_engine(hass, _Engine("what can you do"))
    await setup_facebook(speech_to_text="stt.fake_engine", save_attachments=False)
    client = await hass_client_no_auth()
    events = async_capture_events(hass, EVENT_MESSAGE)
    await send_voice(hass, client, simulator, voice_note("what can you do", tmp_path))
    await hass.async_block_till_done(wait_background_tasks=True)
    assert events[0].data["transcript"] == "what can you do"
    assert events[0].data["media"] == []
    assert list(media.rglob("*")) == []
