"""The exception shared by every corpus reader."""

from __future__ import annotations


class CorpusFormatError(ValueError):
    """A data folder or file that does not have the expected layout.

    The message always names the file (and the line or item where the format has one)
    and says what was expected.
    """
