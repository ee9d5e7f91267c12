"""Timestamps as the client parses them: ISO 8601 with milliseconds and a literal `Z`."""

from __future__ import annotations

from datetime import datetime, timezone


def iso_z(epoch: float) -> str:
    moment = datetime.fromtimestamp(epoch, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
