"""The one character <-> code mapping used by every model, reader and writer.

Code 0 is reserved for padding (and doubles as the CTC blank in the recogniser),
code 1 for characters outside the alphabet. Real characters start at code 2.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence

import numpy as np

#: The 81 characters of the IAM-OnDB transcriptions (Liwicki & Bunke, ICDAR 2005).
IAM_ONDB_CHARACTERS = (
    " !\"#&'()*+,-./0123456789:;?ABCDEFGHIJKLMNOPQRSTUVWXYZ[]abcdefghijklmnopqrstuvwxyz"
)

UNKNOWN_POLICIES = ("error", "drop", "map")


class UnknownCharacterError(ValueError):
    """Raised when a text holds characters that the alphabet does not know."""

    def __init__(self, text: str, unknown: Sequence[tuple[int, str]], source: str | None = None):
        self.text = text
        self.unknown = list(unknown)
        chars = sorted({c for _, c in self.unknown})
        where = f"{source}: " if source else ""
        listed = ", ".join(repr(c) for c in chars)
        first = self.unknown[0][0]
        super().__init__(
            f"{where}{len(chars)} character(s) not in the alphabet: {listed} "
            f"(first at character {first + 1} of {text!r}); "
            "pass unknown='drop' to remove them or unknown='map' to map them to the unknown code"
        )


class Alphabet:
    """Maps characters to integer codes and back.

    Args:
        characters: the characters, in code order. Duplicates are rejected.
        unknown: what to do with characters outside the alphabet: ``"error"``
            (default) raises `UnknownCharacterError`, ``"drop"`` removes them,
            ``"map"`` encodes them as `Alphabet.UNKNOWN`.

    Example:

    >>> alphabet = Alphabet.iam_ondb()
    >>> codes = alphabet.encode("Hi!")
    >>> alphabet.decode(codes)
    'Hi!'
    """

    PAD = 0
    UNKNOWN = 1
    NUM_RESERVED = 2
    UNKNOWN_CHAR = "\ufffd"

    def __init__(self, characters: Iterable[str], unknown: str = "error"):
        characters = "".join(characters)
        if not characters:
            raise ValueError("an alphabet needs at least one character")
        seen = set()
        for c in characters:
            if c in seen:
                raise ValueError(f"character {c!r} appears twice in the alphabet")
            seen.add(c)
        if unknown not in UNKNOWN_POLICIES:
            raise ValueError(f"unknown={unknown!r}: expected one of {UNKNOWN_POLICIES}")
        self.characters = characters
        self.unknown = unknown
        self._to_code = {c: i + self.NUM_RESERVED for i, c in enumerate(characters)}

    @classmethod
    def iam_ondb(cls, unknown: str = "error") -> Alphabet:
        """The full 81-character IAM-OnDB alphabet."""
        return cls(IAM_ONDB_CHARACTERS, unknown=unknown)

    def __len__(self) -> int:
        """Number of codes, reserved ones included."""
        return len(self.characters) + self.NUM_RESERVED

    @property
    def size(self) -> int:
        return len(self)

    def __contains__(self, char: str) -> bool:
        return char in self._to_code

    def __eq__(self, other) -> bool:
        return isinstance(other, Alphabet) and other.characters == self.characters

    def __hash__(self) -> int:
        return hash(self.characters)

    def __repr__(self) -> str:
        return f"Alphabet({len(self.characters)} characters, unknown={self.unknown!r})"

    def unknown_characters(self, text: str) -> list[tuple[int, str]]:
        """Positions and characters of ``text`` that are not in the alphabet."""
        return [(i, c) for i, c in enumerate(text) if c not in self._to_code]

    def clean(self, text: str, unknown: str | None = None, source: str | None = None) -> str:
        """Applies the unknown-character policy to ``text`` and returns the text to encode."""
        policy = unknown or self.unknown
        if policy not in UNKNOWN_POLICIES:
            raise ValueError(f"unknown={policy!r}: expected one of {UNKNOWN_POLICIES}")
        bad = self.unknown_characters(text)
        if not bad:
            return text
        if policy == "error":
            raise UnknownCharacterError(text, bad, source)
        if policy == "drop":
            return "".join(c for c in text if c in self._to_code)
        return text

    def encode(self, text: str, unknown: str | None = None, source: str | None = None) -> np.ndarray:
        """Encodes ``text`` as an int32 array of codes (no padding)."""
        text = self.clean(text, unknown, source)
        return np.array([self._to_code.get(c, self.UNKNOWN) for c in text], dtype=np.int32)

    def encode_batch(
        self, texts: Sequence[str], unknown: str | None = None, length: int | None = None
    ) -> np.ndarray:
        """Encodes several texts into a [batch, length] int32 array padded with `PAD`."""
        encoded = [self.encode(t, unknown) for t in texts]
        length = length or max((len(e) for e in encoded), default=0)
        out = np.full((len(encoded), length), self.PAD, dtype=np.int32)
        for i, e in enumerate(encoded):
            out[i, : min(len(e), length)] = e[:length]
        return out

    def decode(self, codes: Iterable[int]) -> str:
        """Decodes codes to text; padding is skipped, unknown codes become U+FFFD."""
        chars = []
        for code in np.asarray(list(codes) if not isinstance(codes, np.ndarray) else codes).ravel():
            code = int(code)
            if code == self.PAD:
                continue
            if code == self.UNKNOWN or not 0 <= code - self.NUM_RESERVED < len(self.characters):
                chars.append(self.UNKNOWN_CHAR)
            else:
                chars.append(self.characters[code - self.NUM_RESERVED])
        return "".join(chars)

    def subset(self, characters: Iterable[str]) -> Alphabet:
        """A new alphabet with only ``characters`` (in this alphabet's order)."""
        wanted = set(characters)
        missing = wanted - set(self.characters)
        if missing:
            raise ValueError(f"not in this alphabet: {sorted(missing)}")
        return Alphabet([c for c in self.characters if c in wanted], unknown=self.unknown)

    # Serialisation -------------------------------------------------------------------------------

    def to_dict(self) -> dict:
        return {
            "format": "hwsr.alphabet/1",
            "characters": self.characters,
            "reserved": {"pad": self.PAD, "unknown": self.UNKNOWN},
            "unknown": self.unknown,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Alphabet:
        if not isinstance(data, dict) or "characters" not in data:
            raise ValueError("not an hwsr alphabet: expected a JSON object with 'characters'")
        return cls(data["characters"], unknown=data.get("unknown", "error"))

    def save(self, path: str | os.PathLike) -> None:
        """Writes the alphabet as JSON (atomically)."""
        from hwsr.io_utils import atomic_write_text

        atomic_write_text(path, json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> Alphabet:
        """Reads an alphabet written by `save`."""
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ValueError(f"{path}: not valid JSON ({e})") from None
        try:
            return cls.from_dict(data)
        except ValueError as e:
            raise ValueError(f"{path}: {e}") from None
