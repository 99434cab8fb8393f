"""Read-only use cases of the dashboard's pages, over the App: each reads the configuration
and the database once and hands the templates plain values. Dates come from the domain
(`timeline.plan`, `lifecycle.dashboard`), never computed here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from concordat.app import App
from lifecycle.agreement import Agreement
from lifecycle.dashboard import NoticeDeadline, Standing, next_notice_deadline, standing
from lifecycle.state import AgreementState, fold, last_day


@dataclass(frozen=True)
class AgreementRow:
    """One line of the agreements list."""

    agreement: Agreement
    standing: Standing
    term_end: dt.date | None
    notice: NoticeDeadline | None


def agreement_rows(app: App) -> list[AgreementRow]:
    """Every configured agreement, in the configuration's order, with where it stands."""
    configuration = app.configuration()
    today = app.today()
    facts = app.facts()
    rows: list[AgreementRow] = []
    for agreement in configuration.agreements:
        state = fold(facts.get(agreement.id, []))
        rows.append(_row(app, agreement, state, today))
    return rows


def _row(app: App, agreement: Agreement, state: AgreementState, today: dt.date) -> AgreementRow:
    configuration = app.configuration()
    calendar = configuration.calendar_for(agreement)
    notice = next_notice_deadline(agreement, state, calendar, configuration.settings, today)
    return AgreementRow(
        agreement, standing(agreement, state, today), last_day(agreement, state), notice
    )
