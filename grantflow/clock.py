"""What day it is for the secretariat: Oslo's, whatever the machine's clock zone (a server on UTC
between midnight and 01:00/02:00 Oslo time dated documents the day before and refused `--as-of`
today as "after today"; found by an outside tester)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

OSLO = ZoneInfo("Europe/Oslo")


def utcnow() -> datetime:
    """The moment, in UTC (the one place tests move the clock)."""
    return datetime.now(timezone.utc)


def now() -> datetime:
    """The moment, in Oslo time."""
    return utcnow().astimezone(OSLO)


def today() -> date:
    """Today in Oslo."""
    return now().date()
