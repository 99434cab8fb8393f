"""Allow `python -m concordat`."""

from concordat.cli import app

app(prog_name="concordat")
