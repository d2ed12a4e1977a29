"""Crisis mode on the patient's line: what is said at the start of every call while a coordinator has it on."""

from __future__ import annotations

from typing import Protocol


class CrisisSettings(Protocol):
    """The two settings the announcement depends on (a Territory has them, and the inbound call's Line)."""

    @property
    def crisis_enabled(self) -> bool: ...

    @property
    def crisis_announcement(self) -> str | None: ...


def announcement(enabled: bool, text: str | None) -> list[str]:
    """The announcement to say after the welcome: the coordinator's words while crisis mode is on, else nothing."""
    words = " ".join((text or "").split())
    return [words] if enabled and words else []


def announcement_for(territory: CrisisSettings) -> list[str]:
    """The territory's crisis announcement, as a list to splice into the call's intro."""
    return announcement(territory.crisis_enabled, territory.crisis_announcement)
