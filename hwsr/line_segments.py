"""Reading over-long lines in bounded memory: split at pen-ups, read the pieces, join the logits.

The recogniser's self-attention costs memory with the square of a line's length, so a line
longer than `MAX_SEGMENT_POINTS` is never read in one call. It is cut at pen-ups into
segments of at most that many points (at the widest rightward pen move of the second half of
each window, usually a word gap; mid-stroke only when a stroke alone is longer), the segments
are read in batches like any other lines, and their logits are joined along time with one
frame that emits a space between them. Memory then grows linearly with the line; lines up to
`MAX_SEGMENT_POINTS` (every IAM-OnDB line: the longest has 1,623 points) are read exactly as
before. The exports use the same number as their ``max_points`` bound
(`hwsr.export.limits.ExportLimits`), where longer lines are refused instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

#: Most points the recogniser reads in one piece (and the exports' default ``max_points``).
MAX_SEGMENT_POINTS = 4000

#: Logit margin of the joining frame: its space has probability ~1 - 1e-11 per other class.
_JOIN_MARGIN = 25.0


def cut_points(eos: np.ndarray, dx: np.ndarray, max_points: int) -> list[int]:
    """Where to cut a line of ``len(eos)`` points into pieces of at most ``max_points``.

    Args:
        eos: the pen-up flags of the line (1 on the last point of each stroke).
        dx: the horizontal offsets (row ``i`` is the move from point ``i - 1`` to ``i``).
        max_points: the longest piece.

    Returns:
        The start index of every piece after the first, ascending.
    """
    if max_points < 2:
        raise ValueError(f"max_points must be >= 2, got {max_points}")
    starts = np.flatnonzero(np.asarray(eos) > 0.5) + 1  # A new stroke starts after each pen-up.
    cuts, start, total = [], 0, len(eos)
    while total - start > max_points:
        end = start + max_points
        window = starts[(starts > start + max_points // 2) & (starts <= end)]
        if not len(window):
            window = starts[(starts > start) & (starts <= end)]
        cut = int(window[np.argmax(dx[window])]) if len(window) else end
        cuts.append(cut)
        start = cut
    return cuts


def split_at_pen_ups(line: np.ndarray, max_points: int = MAX_SEGMENT_POINTS) -> list[np.ndarray]:
    """A prepared ``[T, 3]`` line as pieces of at most ``max_points`` points, each starting at
    the origin (row 0 ``dx, dy = 0``, as `hwsr.recognizer.Recognizer.prepare` leaves a line).
    A line that fits is returned whole (the same array)."""
    if len(line) <= max_points:
        return [line]
    pieces = [piece.copy() for piece in np.split(line, cut_points(line[:, 0], line[:, 1], max_points))]
    for piece in pieces[1:]:
        piece[0, 1:] = 0.0
    return pieces


def join_logits(pieces: Sequence[np.ndarray], separator: int | None) -> np.ndarray:
    """``[t_i, C]`` logits of consecutive pieces as one ``[sum t_i + joins, C]`` sequence,
    with one frame between pieces that emits class ``separator`` (none if it is None)."""
    if separator is None or len(pieces) == 1:
        return np.concatenate(pieces)
    frame = np.zeros((1, pieces[0].shape[-1]), pieces[0].dtype)
    frame[0, separator] = _JOIN_MARGIN
    joined = [pieces[0]]
    for piece in pieces[1:]:
        joined += [frame, piece]
    return np.concatenate(joined)


def space_code(alphabet) -> int | None:
    """The code of the space character in ``alphabet`` (the joining frame's class), or None."""
    return int(alphabet.encode(" ")[0]) if " " in alphabet else None


def read_in_segments(
    forward: Callable[[list[np.ndarray]], tuple[np.ndarray, np.ndarray]],
    lines: Sequence[np.ndarray],
    batch_size: int,
    separator: int | None,
    max_points: int = MAX_SEGMENT_POINTS,
) -> tuple[np.ndarray, np.ndarray]:
    """``forward(lines)`` for lines of any length, in memory linear in their length.

    Args:
        forward: prepared lines -> ``(logits [B, T', C], logit_lengths [B])`` (one model call).
        lines: prepared ``[T, 3]`` lines.
        batch_size: most pieces per ``forward`` call.
        separator: the class of the frame put between the pieces of a line (the space code),
            or None for no frame.
        max_points: the longest piece.

    Returns:
        ``(logits [B, T'', C], logit_lengths [B])``, zero-padded, one row per line. When every
        line fits in ``max_points`` this is ``forward(lines)`` itself.
    """
    if all(len(line) <= max_points for line in lines):
        return forward(list(lines))
    pieces = [(i, piece) for i, line in enumerate(lines) for piece in split_at_pen_ups(line, max_points)]
    order = sorted(range(len(pieces)), key=lambda k: len(pieces[k][1]))
    read: list[np.ndarray | None] = [None] * len(pieces)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        logits, lengths = forward([pieces[k][1] for k in chunk])
        for row, k in enumerate(chunk):
            read[k] = logits[row, : lengths[row]]
    by_line: list[list[np.ndarray]] = [[] for _ in lines]
    for (i, _), logits in zip(pieces, read):
        by_line[i].append(logits)
    per_line = [join_logits(line_pieces, separator) for line_pieces in by_line]
    lengths = np.array([len(x) for x in per_line], np.int32)
    out = np.zeros((len(lines), int(lengths.max()), per_line[0].shape[-1]), per_line[0].dtype)
    for row, x in enumerate(per_line):
        out[row, : len(x)] = x
    return out, lengths
