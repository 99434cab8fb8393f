"""The `concordat` command line: the thin entry point that wires adapters around the core."""
