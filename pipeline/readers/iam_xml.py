"""Reader for raw IAM-OnDB: ``lineStrokes/**/<form>-NN.xml`` + ``ascii/**/<form>.txt``.

Pairing rules (those of the public conversions, see ``shared/data/*/PROVENANCE.md``):

1. For each ``ascii/<aNN>/<aNN-NNN>/<form>.txt`` (sorted by path), take the text after the
   ``CSR:`` marker, replace the marker ``%%%%%%%%%%%`` with a line break, strip every line
   and drop empty ones.
2. The k-th CSR line belongs to the k-th ``lineStrokes/<aNN>/<aNN-NNN>/<form>-NN.xml`` in
   sorted order. ``<form>`` may lack a writer suffix (``a01-003``).
3. A form whose number of XML files differs from its number of CSR lines is skipped (only
   ``z01-000z`` in the full database) or, with ``on_mismatch="error"``, rejected.
4. ascii files without stroke files, and XML files without an ascii file, are ignored.

Each XML file is converted by `hwsr.ink.read_iam_xml` (the one IAM XML parser), which
reproduces ``iam_ondb_lines.npz`` bit for bit.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

from hwsr.ink import InkFormatError, read_iam_xml
from hwsr.pipeline.corpus import LineCorpus
from hwsr.pipeline.readers.errors import CorpusFormatError
from hwsr.strokes import InvalidStrokesError

logger = logging.getLogger(__name__)

#: The IAM-OnDB marker that stands for a line break inside a CSR line (form a08-551z).
LINE_BREAK_MARKER = "%" * 11

__all__ = ["LINE_BREAK_MARKER", "is_iam_ondb_dir", "read_csr_lines", "read_iam_ondb"]


def is_iam_ondb_dir(path: str | os.PathLike) -> bool:
    """True for a folder holding ``lineStrokes/`` and ``ascii/``."""
    path = Path(path)
    return (path / "lineStrokes").is_dir() and (path / "ascii").is_dir()


def read_csr_lines(path: str | os.PathLike) -> list[str]:
    """The transcription lines of an IAM-OnDB ascii file (the part after ``CSR:``)."""
    path = Path(path)
    text = path.read_bytes().decode("latin-1").replace(LINE_BREAK_MARKER, "\n")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip() == "CSR:":
            return [s for s in (raw.strip() for raw in lines[i + 1 :]) if s]
    raise CorpusFormatError(f"{path}: no 'CSR:' section (not an IAM-OnDB ascii transcription file?)")


def read_iam_ondb(root: str | os.PathLike, on_mismatch: str = "skip") -> LineCorpus:
    """Reads a raw IAM-OnDB folder (``lineStrokes/`` + ``ascii/``) into a `LineCorpus`.

    Args:
        root: the folder holding ``lineStrokes/`` and ``ascii/``.
        on_mismatch: ``"skip"`` (default, with a logged warning) or ``"error"`` for forms
            whose number of XML files differs from their number of CSR lines.

    Raises:
        CorpusFormatError: a missing folder, an ascii file without ``CSR:``, a malformed XML
            file (naming the file and line), or, with ``on_mismatch="error"``, a form whose
            counts differ.
    """
    if on_mismatch not in ("skip", "error"):
        raise ValueError(f"on_mismatch={on_mismatch!r}: expected 'skip' or 'error'")
    root = Path(root)
    if not is_iam_ondb_dir(root):
        raise CorpusFormatError(f"{root}: not a raw IAM-OnDB folder (expected lineStrokes/ and ascii/ in it)")
    strokes, texts, line_ids = [], [], []
    skipped, paired_xml = [], set()
    for ascii_path in sorted((root / "ascii").rglob("*.txt")):
        form = ascii_path.stem
        xml_dir = root / "lineStrokes" / ascii_path.parent.relative_to(root / "ascii")
        pattern = re.compile(re.escape(form) + r"-\d+\.xml")
        xml_paths = sorted(p for p in xml_dir.glob(f"{form}-*.xml") if pattern.fullmatch(p.name))
        if not xml_paths:
            continue
        csr = read_csr_lines(ascii_path)
        if len(csr) != len(xml_paths):
            message = (
                f"{ascii_path}: {len(csr)} CSR line(s) but {len(xml_paths)} XML file(s) "
                f"in {xml_dir} for form {form}"
            )
            if on_mismatch == "error":
                raise CorpusFormatError(message)
            logger.warning("skipping form: %s", message)
            skipped.append(form)
            paired_xml.update(xml_paths)
            continue
        for xml_path, text in zip(xml_paths, csr):
            try:
                strokes.append(read_iam_xml(xml_path))
            except (InkFormatError, InvalidStrokesError) as e:
                raise CorpusFormatError(str(e)) from None
            texts.append(text)
            line_ids.append(xml_path.stem)
            paired_xml.add(xml_path)
    unpaired = [p for p in (root / "lineStrokes").rglob("*.xml") if p not in paired_xml]
    if unpaired:
        logger.warning(
            "%s: %d lineStrokes XML file(s) have no ascii transcription and were ignored, e.g. %s",
            root, len(unpaired), sorted(unpaired)[0],
        )
    if not strokes:
        raise CorpusFormatError(
            f"{root}: no transcribed lines found (no ascii/**.txt matches lineStrokes/**.xml)"
        )
    return LineCorpus(strokes, texts, line_ids)
