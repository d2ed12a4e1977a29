"""What a pause answers by SMS and by voice: the right prompt, its placeholders filled, the end said in French."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from orientation.core.prompts import placeholders, text
from orientation.services.volunteer_controls import Steered, pause_answer, spoken_until, written_until
from volunteers.pause_rules import NO_SHIFT, PauseDecision

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # mardi 10:00 à Paris


@pytest.mark.parametrize(
    ("until", "written", "spoken"),
    [
        (datetime(2026, 11, 24, 15, 0, tzinfo=UTC), "16:00", "16 heures"),
        (datetime(2026, 11, 25, 7, 30, tzinfo=UTC), "demain 08:30", "demain à 8 heures 30"),
        (datetime(2026, 11, 27, 19, 0, tzinfo=UTC), "ven. 27/11 20:00", "vendredi 27 novembre à 20 heures"),
    ],
)
def test_the_end_of_a_pause_is_written_and_said_in_paris_time(until: datetime, written: str, spoken: str) -> None:
    assert written_until(until, NOW, PARIS) == written
    assert spoken_until(until, NOW, PARIS) == spoken


@pytest.mark.parametrize("spoken", [False, True])
@pytest.mark.parametrize(
    "decision",
    [
        PauseDecision(until=datetime(2026, 11, 24, 15, 0, tzinfo=UTC), current=True),
        PauseDecision(until=datetime(2026, 11, 25, 15, 0, tzinfo=UTC), current=False),
        PauseDecision(refused=NO_SHIFT),
    ],
)
def test_each_answer_is_a_catalogue_prompt_with_exactly_its_placeholders(decision: PauseDecision, spoken: bool) -> None:
    key, values = pause_answer(Steered(applied=decision.allowed, decision=decision), NOW, PARIS, spoken=spoken)
    assert key.startswith("volunteer_" if spoken else "sms_")
    assert placeholders(key) == set(values)
    said = text(key, **values)
    assert ("jusqu'à" in said) is decision.allowed
