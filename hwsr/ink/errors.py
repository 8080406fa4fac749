"""The error every ink reader raises for a file it cannot read."""

from __future__ import annotations


class InkFormatError(ValueError):
    """An ink file that cannot be read; the message names the file, the place and the problem."""
