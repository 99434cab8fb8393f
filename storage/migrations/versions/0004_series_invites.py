"""Invites become one per meeting series (an iCalendar RRULE with its exceptions) instead of
one plain-text message per meeting. The old per-meeting invite rows and their follow-ups are
removed from the outbox: those still pending would only be withdrawn, and those sent carried
no calendar data, so there is nothing in anyone's calendar to update or cancel (the audit log
keeps their history). Plan stamps are invalidated (not dropped: an agreement removed meanwhile
must still be retired) so the next plan queues the series invites.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "DELETE FROM outbox WHERE kind IN ('invite', 'invite_update', 'invite_cancel') "
        "AND key NOT LIKE '%:series:%'"
    )
    # Invalidate the stamps without forgetting them: an agreement removed while the service
    # was stopped is still known as planned, so its rows are retired.
    op.execute("UPDATE plan_stamp SET inputs = '' WHERE inputs <> 'removed'")


def downgrade() -> None:
    """The series invites stay: an older version reads them as invites it cannot follow up
    by meeting, so downgrading is not supported past this revision."""
    raise NotImplementedError("revision 0004 cannot be downgraded")
