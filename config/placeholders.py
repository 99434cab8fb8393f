"""Where a loaded configuration still has placeholder contacts: addresses under the reserved
`.invalid` domain (RFC 2606) that `concordat extract` writes where an agreement's text names
no address. They load, so a draft can be checked, but nothing is ever sent to them
(`Agreement.recipients` leaves them out); `concordat validate` warns of each one, so the
administrator knows who will hear nothing until a real address replaces it."""

from __future__ import annotations

from dataclasses import dataclass

from config.loader import Configuration


@dataclass(frozen=True)
class Placeholder:
    """One placeholder contact: the file it is declared in, its key path and its address."""

    file: str
    key: str
    address: str

    def warning(self) -> str:
        """The line `concordat validate` prints for it."""
        return (
            f'warning: {self.file}: {self.key}: "{self.address}" is a placeholder: '
            "nothing is sent to it until a real address replaces it"
        )


def placeholders(configuration: Configuration) -> list[Placeholder]:
    """Every placeholder contact, in the order of the files (the load's, by name) and of
    their declarations; the key path is the one errors name (`parties[0].contacts[1].email`),
    since an agreement's parties and contacts are built in its file's order."""
    found: list[Placeholder] = []
    for agreement in configuration.agreements:
        file = str(configuration.files.get(agreement.id, f"agreement {agreement.id}"))
        for p, party in enumerate(agreement.parties):
            for c, contact in enumerate(party.contacts):
                if contact.placeholder:
                    key = f"parties[{p}].contacts[{c}].email"
                    found.append(Placeholder(file, key, contact.email))
    return found
