"""PocketSphinx constrained to the sandbox's sentences (no Home Assistant here).

The wheel of pocketsphinx 5.1.1 carries its US English acoustic model and dictionary, so nothing
is downloaded. Its free language model mishears synthetic speech ("they're not all like" for
"turn on the hall light"); a JSGF grammar of the sentences the sandbox knows hears them exactly.
`bestpath=False` keeps the grammar's full path (the best-path search drops the last word).
"""

from __future__ import annotations

from pathlib import Path
import threading

GRAMMAR = Path(__file__).with_name("sandbox.jsgf")
SAMPLE_RATE = 16000


class Recognizer:
    """Raw 16 kHz mono s16le audio in, the sentence of the grammar out ("" if none)."""

    def __init__(self, grammar: Path = GRAMMAR) -> None:
        """Load the model (about a quarter of a second)."""
        from pocketsphinx import Decoder

        self._decoder = Decoder(
            jsgf=str(grammar), samprate=SAMPLE_RATE, bestpath=False, loglevel="FATAL"
        )
        self._lock = threading.Lock()

    def transcribe(self, audio: bytes) -> str:
        """The words heard in `audio`."""
        with self._lock:
            decoder = self._decoder
            decoder.start_utt()
            for start in range(0, len(audio), 4096):
                decoder.process_raw(audio[start : start + 4096])
            decoder.end_utt()
            hypothesis = decoder.hyp()
        return hypothesis.hypstr.strip() if hypothesis is not None else ""
