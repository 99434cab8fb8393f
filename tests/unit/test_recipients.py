"""Who receives what: a contact's deputy is copied (one message each); a private contact
receives their own messages but is never named to other organisations' contacts."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from config.loader import Configuration, load_configuration
from lifecycle.messages import invite_messages, messages_for
from lifecycle.state import AgreementState
from lifecycle.timeline import plan
from tests.conftest import EXAMPLES

CAMBS = "cambs-peterborough-s75"
NOTTS = "nottinghamshire-healthy-families"


def test_a_named_contact_brings_their_deputy(examples: Configuration) -> None:
    agreement = examples.agreement(CAMBS)
    assert agreement is not None
    ids = [c.id for c in agreement.recipients(("contact:ccc-hcp-lead",))]
    assert ids == ["pcc-ph-commissioner", "ccc-hcp-lead"]  # declaration order, deputy included
    alone = [c.id for c in agreement.recipients(("contact:dph",))]
    assert alone == ["dph"]  # no deputy named: nobody added
    deputies_once = agreement.recipients(("contact:ccc-hcp-lead", "contact:pcc-ph-commissioner"))
    assert len(deputies_once) == len({c.id for c in deputies_once}) == 3  # dph, once


def private_config(tmp_path: Path) -> Configuration:
    directory = tmp_path / "conf"
    shutil.copytree(EXAMPLES, directory)
    path = directory / f"{NOTTS}.toml"
    text = path.read_text(encoding="utf-8")
    marker = 'name = "Daniel Morrow"'
    assert marker in text
    path.write_text(text.replace(marker, marker + "\nprivate = true", 1), encoding="utf-8")
    return load_configuration(directory)


def test_a_private_contact_is_not_named_to_other_organisations(tmp_path: Path) -> None:
    configuration = private_config(tmp_path)
    agreement = configuration.agreement(NOTTS)
    assert agreement is not None
    private = next(c for c in agreement.contacts if c.private)
    calendar, settings = configuration.calendar_for(agreement), configuration.settings
    occurrences = plan(agreement, calendar, settings, dt.date(2024, 10, 1), dt.date(2025, 3, 31),
                       reminders=True)  # fmt: skip
    messages = messages_for(agreement, occurrences, calendar, settings)
    messages += invite_messages(
        agreement, calendar, settings, AgreementState(), dt.date(2024, 10, 1)
    )
    by_email = {c.email: c for c in agreement.contacts}
    shown = f"{private.name} ("
    seen_by_colleague = seen_by_outsider = 0
    assert any(m.recipient == private.email for m in messages)  # still receives their own
    for message in messages:
        reader = by_email[message.recipient]
        names = " ".join(message.payload.get("told", []))
        attendees = {email for _, email, _ in message.payload.get("attendees", [])}
        if reader.party == private.party:
            seen_by_colleague += shown in names
        else:
            assert shown not in names, message.key
            assert private.email not in attendees, message.key
            seen_by_outsider += 1
    assert seen_by_colleague > 0  # colleagues of the same organisation still see them
    assert seen_by_outsider > 0
