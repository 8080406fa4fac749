"""Reader for a folder of your own ink: ``*.inkml`` and ``*.json`` files, one line each.

Layout::

    my_ink/
      note-01.inkml        <annotation type="transcription">The first line</annotation> inside
      note-02.json         {"text": "The second line", "strokes": [[[x, y], ...], ...]}
      list-01.inkml        no transcription inside: it is in transcriptions.txt
      transcriptions.txt   list-01 Milk, eggs and bread

Rules:

1. Every ``*.inkml`` and ``*.json`` file directly in the folder (not in subfolders) is one
   line of handwriting, read by `hwsr.ink.read_ink`. `hwsr.ink.write_inkml` and
   `hwsr.ink.write_json_ink` with ``text=`` write such files.
2. The transcription of a file is the one stored in it (InkML ``<annotation
   type="transcription">``, JSON ``"text"``; see `hwsr.ink.read_transcription`), else its
   line in ``transcriptions.txt``: UTF-8, one ``STEM TEXT`` line per file (the file name
   without its extension, whitespace, then the text; blank lines are skipped). A file with
   neither is an error.
3. The line id is the file stem, so stems must be unique (``a.inkml`` and ``a.json``
   clash). The form of a line is its stem without a trailing ``-<digits>``, as in IAM-OnDB:
   ``note-01`` and ``note-02`` are lines of the form ``note``, and the train/validation
   split keeps a form's lines together (`hwsr.pipeline.splits`). A stem without such a
   suffix is a form of its own.
4. Characters outside the alphabet are reported, naming the stem, when the texts are
   encoded for training, as for every reader.
"""

from __future__ import annotations

import os
from pathlib import Path

from hwsr.ink import InkFormatError, read_ink, read_transcription
from hwsr.pipeline.corpus import LineCorpus
from hwsr.pipeline.readers.errors import CorpusFormatError
from hwsr.pipeline.readers.npz_lines import read_text_lines
from hwsr.strokes import InvalidStrokesError

__all__ = ["INK_SUFFIXES", "TRANSCRIPTIONS_FILE", "ink_files", "is_ink_folder", "read_ink_folder",
           "read_transcriptions_file"]

#: The ink files an ink folder is made of (case-insensitive).
INK_SUFFIXES = (".inkml", ".json")
#: Transcriptions of the files that hold none themselves: ``STEM TEXT`` lines.
TRANSCRIPTIONS_FILE = "transcriptions.txt"


def ink_files(folder: str | os.PathLike) -> list[Path]:
    """The ``*.inkml`` and ``*.json`` files directly in ``folder``, sorted by name."""
    return sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in INK_SUFFIXES and p.is_file())


def is_ink_folder(path: str | os.PathLike) -> bool:
    """True for a folder holding at least one ``*.inkml`` or ``*.json`` file."""
    path = Path(path)
    return path.is_dir() and bool(ink_files(path))


def read_transcriptions_file(path: str | os.PathLike) -> dict[str, tuple[str, int]]:
    """``{stem: (text, line number)}`` from a ``transcriptions.txt`` of ``STEM TEXT`` lines.

    Raises:
        CorpusFormatError: not UTF-8, a line without text, or a stem listed twice (naming
            the line).
    """
    path = Path(path)
    entries: dict[str, tuple[str, int]] = {}
    for number, line in enumerate(read_text_lines(path), start=1):
        parts = line.split(maxsplit=1)
        if not parts:
            continue
        if len(parts) == 1:
            raise CorpusFormatError(f"{path}: line {number}: {parts[0]!r} has no text (expected 'STEM TEXT')")
        stem, text = parts[0], parts[1].strip()
        if stem in entries:
            raise CorpusFormatError(
                f"{path}: line {number}: {stem!r} already has a transcription on line {entries[stem][1]}"
            )
        entries[stem] = (text, number)
    return entries


def read_ink_folder(folder: str | os.PathLike) -> LineCorpus:
    """Reads a folder of ``*.inkml`` / ``*.json`` ink files (see the module docstring).

    Returns:
        A `LineCorpus` in file-name order whose line ids are the file stems.

    Raises:
        CorpusFormatError: no ink file, two files with one stem, a malformed ink file, a file
            without a transcription or with one of several lines (naming the file), or a
            ``transcriptions.txt`` line that is malformed or names no ink file (naming the line).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise CorpusFormatError(f"{folder}: not a directory")
    paths: dict[str, Path] = {}
    for path in ink_files(folder):
        if path.stem in paths:
            raise CorpusFormatError(
                f"{path}: has the same stem as {paths[path.stem].name}; the stem is the line id, "
                "so every ink file needs a name of its own"
            )
        paths[path.stem] = path
    if not paths:
        raise CorpusFormatError(f"{folder}: no ink files (*.inkml or *.json) in it")
    listed_path = folder / TRANSCRIPTIONS_FILE
    listed = read_transcriptions_file(listed_path) if listed_path.is_file() else {}
    for stem, (_, number) in listed.items():
        if stem not in paths:
            raise CorpusFormatError(
                f"{listed_path}: line {number}: no ink file {stem}.inkml or {stem}.json in {folder}"
            )
    strokes, texts = [], []
    for stem, path in paths.items():
        try:
            strokes.append(read_ink(path))
            text = read_transcription(path)
        except (InkFormatError, InvalidStrokesError) as e:
            raise CorpusFormatError(str(e)) from None
        if text is None and stem in listed:
            text = listed[stem][0]
        if text is None:
            raise CorpusFormatError(
                f'{path}: no transcription; store it in the file (InkML <annotation type="transcription">, '
                f'JSON "text") or add a line "{stem} TEXT" to {listed_path}'
            )
        if len(text.splitlines()) > 1:
            raise CorpusFormatError(f"{path}: the transcription has several lines; one text line per file")
        texts.append(text)
    return LineCorpus(strokes, texts, list(paths))
