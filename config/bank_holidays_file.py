"""Read the GOV.UK `bank-holidays.json` file, for days announced after `holidays` was released."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from config.issues import IssueLog

DIVISIONS = {
    "ENG": "england-and-wales",
    "WLS": "england-and-wales",
    "SCT": "scotland",
    "NIR": "northern-ireland",
}


def read_bank_holidays(path: Path, region: str, log: IssueLog) -> set[dt.date]:
    """The dates listed for the region's division; issues are recorded in `log`, not raised."""
    division = DIVISIONS[region]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        log.add("bank_holidays_file", f"cannot read {path}: {error.strerror or error}")
        return set()
    except json.JSONDecodeError as error:
        log.add(
            "bank_holidays_file", f"{path} is not valid JSON: {error.msg} at line {error.lineno}"
        )
        return set()
    events = data.get(division, {}).get("events") if isinstance(data, dict) else None
    if not isinstance(events, list):
        log.add(
            "bank_holidays_file",
            f'{path} has no "{division}" division with "events"; '
            "expected the GOV.UK bank-holidays.json format",
        )
        return set()
    days: set[dt.date] = set()
    for index, event in enumerate(events):
        try:
            days.add(dt.date.fromisoformat(event["date"]))
        except (KeyError, TypeError, ValueError):
            log.add(
                "bank_holidays_file",
                f'{path}: {division}.events[{index}] has no valid "date" (expected YYYY-MM-DD)',
            )
    return days
