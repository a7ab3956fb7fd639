"""The last line of defence: scrub page tokens, app secrets and verify tokens from log records.

The integration never logs a secret on purpose (the token travels only in a header, never in a
URL); this filter catches what another library or a traceback might still carry. It sits on
Home Assistant's log handlers and on the integration's own logger.
"""

from __future__ import annotations

import logging

from .const import LOGGER

REDACTED = "**REDACTED**"
# Shorter "secrets" would scrub ordinary words from every log line.
MIN_SECRET_LENGTH = 6


class SecretFilter(logging.Filter):
    """Replace known secrets in a record's message and traceback."""

    def __init__(self) -> None:
        """Start with nothing to scrub."""
        super().__init__()
        self.secrets: frozenset[str] = frozenset()

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub the record in place; never drops it."""
        secrets = self.secrets
        if not secrets:
            return True
        message = record.getMessage()
        if any(secret in message for secret in secrets):
            record.msg = _scrub(message, secrets)
            record.args = None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            if any(secret in text for secret in secrets):
                record.exc_text = _scrub(text, secrets)
                record.exc_info = None
        return True


def _scrub(text: str, secrets: frozenset[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


SECRET_FILTER = SecretFilter()


def redact_secrets(*secrets: str | None) -> None:
    """Scrub these secrets from every log record from now on."""
    new = {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH}
    SECRET_FILTER.secrets = SECRET_FILTER.secrets | new
    for target in (LOGGER, *logging.getLogger().handlers):
        if SECRET_FILTER not in target.filters:
            target.addFilter(SECRET_FILTER)


def stop_redacting(*secrets: str | None) -> None:
    """Stop scrubbing these secrets (their page is gone)."""
    SECRET_FILTER.secrets = SECRET_FILTER.secrets - {s for s in secrets if s}
