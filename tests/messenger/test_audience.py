"""The audience on its own: windows, warnings, the bound, the stored form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from custom_components.facebook.messenger.audience import Audience, window_for

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_window_opens_with_each_action_and_closes_a_day_later() -> None:
    audience = Audience()
    assert audience.closes_at("a") is None
    assert not audience.is_closed("a", T0)  # unknown: counted as open, our knowledge may lag
    assert audience.record("a", T0.timestamp())
    assert not audience.record("a", T0.timestamp() - 60)  # an older action moves nothing
    assert audience.closes_at("a") == T0 + timedelta(hours=24)
    assert audience.is_closed("a", T0 + timedelta(hours=24))
    assert not audience.is_closed("a", T0 + timedelta(hours=23, minutes=59))


def test_a_tag_has_its_own_window() -> None:
    audience = Audience()
    audience.record("a", T0.timestamp())
    later = T0 + timedelta(days=3)
    assert audience.is_closed("a", later)
    assert not audience.is_closed("a", later, "HUMAN_AGENT")  # 7 days for people typing
    assert audience.is_closed("a", T0 + timedelta(days=7), "HUMAN_AGENT")
    assert window_for(None) == window_for("NO_SUCH_TAG") == timedelta(hours=24)


def test_one_warning_per_window() -> None:
    audience = Audience()
    audience.record("a", T0.timestamp())
    assert not audience.was_warned("a")
    audience.mark_warned("a")
    assert audience.was_warned("a")
    audience.record("a", T0.timestamp() + 10)  # a new window
    assert not audience.was_warned("a")
    audience.mark_warned("nobody")  # unknown people are no error


def test_the_longest_silent_are_forgotten_first(caplog: object) -> None:
    audience = Audience(max_people=3)
    for i, psid in enumerate(["a", "b", "c"]):
        audience.record(psid, T0.timestamp() + i)
    audience.record("a", T0.timestamp() + 10)  # a writes again: now b is the longest silent
    audience.record("d", T0.timestamp() + 11)
    assert audience.people == ["c", "a", "d"]
    assert len(audience) == 3


def test_the_stored_form_round_trips_and_skips_damage() -> None:
    audience = Audience()
    audience.record("b", T0.timestamp() + 5)
    audience.record("a", T0.timestamp())
    audience.mark_warned("a")
    stored = audience.to_json()["people"]
    again = Audience()
    again.load({**stored, "x": "bad", 3: {"last": 1}, "y": {"last": "soon"}, "z": {"last": True}})
    assert again.people == ["a", "b"]  # longest-silent first, whatever order it was stored in
    assert again.was_warned("a") and not again.was_warned("b")
    empty = Audience()
    empty.load(["not", "a", "dict"])
    assert len(empty) == 0
