"""Evaluation of the models: recognition error rates on transcribed ink, and legibility of
synthesis (write texts, read them back with a recogniser).

Library code behind ``hwsr evaluate``, the training callbacks and the benchmarks; it takes
loaded models and arrays, never paths, so it belongs to the core.
"""

from __future__ import annotations

import time

import numpy as np

#: Recognition progress: one line per this many batches of lines.
PROGRESS_EVERY_BATCHES = 8

#: Written for this check (not IAM-OnDB text): capitals, digits and punctuation, each line
#: about as long as a line of the training data.
LEGIBILITY_TEXTS = (
    "The 7 quick foxes jumped over 3 lazy dogs.",
    "Meet me at 10:45 near Platform 9, please.",
    "Is it 2031 already? Time flies (too fast).",
    "Dr. Okafor paid 38 pounds for 12 new books.",
    "Keep calm & carry on: the bus is late!",
    "Order #56 shipped on May 3rd, 1998.",
    "Zebras, yaks and 4 wolves visit Quebec.",
    'She said "hello" and waved at 6 o\'clock.',
    "Room 101 is on the 2nd floor - turn left.",
    "Jack's 5 boxes weigh 27 kilograms in all.",
    "How many miles to Oxford? About 60 or so.",
    "Volume 8, pages 140-152 (see the notes).",
    "Bring 2 eggs, 1 cup of milk and some flour.",
    "The vote was 312 to 97; the motion passed.",
    "Quiet, please! Exam in progress until 4:30.",
    "Uncle Ben bought 11 jars of jam on Friday.",
    "Fix the bug in line 42, then run all tests.",
    "Vivid jazz music played from 8 until 11.",
    "X marks the spot: 15 paces north, 3 west.",
    "Great news - we won 3 of our 4 matches!",
)


def decoding_options(beam_width: int) -> dict:
    """``Recognizer.recognize()`` keyword arguments for a beam width (0: greedy)."""
    if beam_width < 0:
        raise ValueError(f"beam width must be >= 0 (0: greedy), got {beam_width}")
    return {"method": "beam", "beam_width": beam_width} if beam_width else {"method": "greedy"}


def error_rates(references, hypotheses) -> dict:
    from hwsr.metrics import character_error_rate, word_error_rate

    return {"cer": character_error_rate(references, hypotheses),
            "wer": word_error_rate(references, hypotheses)}


def recognize_lines(recognizer, strokes, options: dict, progress=None, label: str = "lines") -> list:
    """``recognizer.recognize(strokes, **options)``, reporting progress every few batches.

    The lines go in length order, in chunks of whole batches, so the batches (and results)
    are those of one ``recognize`` call over all lines.
    """
    order = np.argsort([len(s) for s in strokes], kind="stable")
    chunk = recognizer.batch_size * PROGRESS_EVERY_BATCHES
    results = [None] * len(strokes)
    start = time.perf_counter()
    for begin in range(0, len(order), chunk):
        idx = order[begin : begin + chunk]
        for i, result in zip(idx, recognizer.recognize([strokes[i] for i in idx], **options)):
            results[i] = result
        if progress:
            done = begin + len(idx)
            rate = done / max(time.perf_counter() - start, 1e-9)
            progress(f"{label}: {done}/{len(order)} lines ({rate:.1f} lines/s)")
    return results


def evaluate_recognition(recognizer, strokes, texts, beam_width: int = 0, progress=None) -> dict:
    """Greedy (and, with ``beam_width``, beam) error rates of ``recognizer`` on the lines.

    Args:
        progress: called with one-line progress messages (None: silent).
    """
    out = {"lines": len(texts), "characters": sum(len(t) for t in texts),
           "words": sum(len(t.split()) for t in texts)}
    runs = [("greedy", decoding_options(0))]
    if beam_width:
        runs.append(("beam", decoding_options(beam_width)))
    for name, options in runs:
        start = time.perf_counter()
        label = f"beam {beam_width}" if name == "beam" else name
        results = recognize_lines(recognizer, strokes, options, progress, label)
        seconds = time.perf_counter() - start
        out[name] = {**options, **error_rates(texts, [r.text for r in results]),
                     "seconds": round(seconds, 3)}
    return out


def evaluate_legibility(synthesizer, recognizer, texts, biases, seed: int = 0,
                        beam_width: int = 0, details: bool = False, progress=None) -> list[dict]:
    """Writes ``texts`` at each bias, reads them back; one dict of error rates per bias.

    Args:
        progress: called with one-line progress messages (None: silent).
    """
    options = decoding_options(beam_width)
    out = []
    for k, bias in enumerate(biases, 1):
        if progress:
            progress(f"bias {bias:g} ({k}/{len(biases)}): writing {len(texts)} texts, reading them back")
        start = time.perf_counter()
        strokes = synthesizer.generate(list(texts), bias=bias, seed=seed)
        read = [r.text for r in recognizer.recognize(strokes, **options)]
        row = {"bias": bias, **error_rates(texts, read)}
        if progress:
            progress(f"bias {bias:g}: CER {100 * row['cer']:.1f}%, WER {100 * row['wer']:.1f}% "
                     f"({time.perf_counter() - start:.1f} s)")
        if details:
            row["texts"] = [{"text": t, "read": r} for t, r in zip(texts, read)]
        out.append(row)
    return out
