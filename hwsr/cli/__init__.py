"""Command-line interface (``hwsr`` and its subcommands)."""
