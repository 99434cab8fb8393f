"""What every door names before it loads anything: the default configuration directory and
the error for a value it cannot use.

They live apart from `concordat.app` (which re-exports them) so that a command's options and
error table can be declared without loading the configuration schema or the planner: the
command line registers every command, and answers `--help` or `calc`, in a fraction of the
time loading those would take.
"""

from __future__ import annotations

from lifecycle.errors import ConcordatError

DEFAULT_CONFIG = "config/examples"


class InvalidInput(ConcordatError, ValueError):
    """Raised when a value given to a command (an option, later a request field) cannot be
    used: an impossible date, an unknown state, a negative limit."""
