"""Evaluation of the models: recognition error rates on transcribed ink, and legibility of
synthesis (write texts, read them back with a recogniser).

Library code behind ``hwsr evaluate``, the training callbacks and the benchmarks; it takes
loaded models and arrays, never paths, so it belongs to the core.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np

from hwsr.alignment import CLASSES, class_error_counts
from hwsr.defaults import DEFAULT_STYLE
from hwsr.model_dir import PRETRAINED_DIR

#: Recognition progress: one line per this many batches of lines.
PROGRESS_EVERY_BATCHES = 8

#: The built-in legibility sets (``hwsr/data/legibility_<name>.txt``, written for these
#: checks, none of them a line of IAM-OnDB): ``unseen``, 111 ordinary sentences about as
#: long as a training line; ``hard``, 30 lines thick with digits, capitals and punctuation.
LEGIBILITY_SETS = ("unseen", "hard")
DATA_DIR = Path(__file__).resolve().parent / "data"

#: The recogniser legibility is scored with: the shipped recogniser of commit c939379
#: (step 2,200, validation CER 7.4 % greedy), by the SHA-256 of its weights file. A better
#: recogniser reads more of the same ink, so figures scored with another one are not
#: comparable; `scoring_recognizer` says which one was used and whether it is this one.
SCORING_RECOGNIZER_SHA256 = "bad5d7fe940bf249066e585db09d77796cfd40141d30b312c4d348ccdb30939a"
#: Where those weights ship (``hwsr/pretrained/legibility_scorer``), apart from the recogniser
#: that reads users' ink, so that a better recogniser can ship without changing what a
#: legibility figure means. `hwsr evaluate --task legibility` scores with it by default.
SCORING_RECOGNIZER_DIR = PRETRAINED_DIR / "legibility_scorer"


def legibility_texts(name: str = "unseen") -> list[str]:
    """The texts of a built-in legibility set (one of `LEGIBILITY_SETS`)."""
    if name not in LEGIBILITY_SETS:
        raise ValueError(f"unknown legibility set {name!r}; use one of {', '.join(LEGIBILITY_SETS)}")
    text = (DATA_DIR / f"legibility_{name}.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def weights_sha256(bundle) -> str:
    """SHA-256 of a model dir's weights file (which weights, whatever the folder)."""
    digest = hashlib.sha256()
    with open(Path(bundle.path) / "model.weights.h5", "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def scoring_recognizer(recognizer) -> dict:
    """Names the recogniser a legibility figure was scored with: its model dir, the
    SHA-256 of its weights and whether it is the pinned one (`SCORING_RECOGNIZER_SHA256`)."""
    sha = weights_sha256(recognizer.bundle)
    return {"path": str(recognizer.bundle.path), "sha256": sha,
            "pinned": sha == SCORING_RECOGNIZER_SHA256}


def decoding_options(beam_width: int) -> dict:
    """``Recognizer.recognize()`` keyword arguments for a beam width (0: greedy), without
    language model."""
    if beam_width < 0:
        raise ValueError(f"beam width must be >= 0 (0: greedy), got {beam_width}")
    options = {"method": "beam", "beam_width": beam_width} if beam_width else {"method": "greedy"}
    return {**options, "lm": None}


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


def evaluate_recognition(recognizer, strokes, texts, beam_width: int = 0, progress=None,
                         lm=None) -> dict:
    """Greedy (and, with ``beam_width``, beam; with ``lm`` too, beam with that language
    model: ``"beam_lm"``) error rates of ``recognizer`` on the lines, overall and per class
    of text (`class_error_rates`: how well digits or capitals are read).

    Args:
        progress: called with one-line progress messages (None: silent).
        lm: a `hwsr.language_model.CharNgramLM` for the ``beam_lm`` row (its default weights).
    """
    out = {"lines": len(texts), "characters": sum(len(t) for t in texts),
           "words": sum(len(t.split()) for t in texts)}
    runs = [("greedy", decoding_options(0), "greedy")]
    if beam_width:
        runs.append(("beam", decoding_options(beam_width), f"beam {beam_width}"))
        if lm is not None:
            runs.append(("beam_lm", {**decoding_options(beam_width), "lm": lm, "candidates": 1},
                         f"beam {beam_width} + LM"))
    for name, options, label in runs:
        start = time.perf_counter()
        results = recognize_lines(recognizer, strokes, options, progress, label)
        seconds = time.perf_counter() - start
        shown = {**options, "lm": options["lm"].path if options["lm"] is not None else None}
        readings = [r.text for r in results]
        out[name] = {**shown, **error_rates(texts, readings), "classes": class_error_rates(texts, readings),
                     "seconds": round(seconds, 3)}
    return out


def class_error_rates(texts, readings) -> dict:
    """``{class: {"cer", "wer", "characters", "words"}}`` of ``readings`` against ``texts``
    per class of text (`hwsr.alignment.CLASSES`: CER over the class's characters, WER over
    its tokens, punctuation split off words)."""
    totals = {kind: dict.fromkeys(("char_edits", "chars", "token_edits", "tokens"), 0) for kind in CLASSES}
    for text, reading in zip(texts, readings):
        for kind, counts in class_error_counts(text, reading).items():
            for key, value in counts.items():
                totals[kind][key] += value
    return {kind: {"cer": c["char_edits"] / max(c["chars"], 1), "wer": c["token_edits"] / max(c["tokens"], 1),
                   "characters": c["chars"], "words": c["tokens"]}
            for kind, c in totals.items()}


def legibility_scores(texts, readings) -> dict:
    """Error rates of ``readings`` against ``texts``: overall (corpus CER and WER), the
    worst line's CER, and per class of text (`class_error_rates`)."""
    from hwsr.metrics import edit_distance

    line_cers = [edit_distance(t, r) / max(len(t), 1) for t, r in zip(texts, readings)]
    return {
        **error_rates(list(texts), list(readings)),
        "max_line_cer": max(line_cers, default=0.0),
        "classes": class_error_rates(texts, readings),
    }


def evaluate_legibility(synthesizer, recognizer, texts, biases, seed: int = 0,
                        beam_width: int = 0, details: bool = False, progress=None,
                        candidates: int = 0, style=DEFAULT_STYLE) -> list[dict]:
    """Writes ``texts`` at each bias, reads them back; one dict of error rates per bias.

    The reading is ``recognizer``'s with a fixed decoding (greedy, or with ``beam_width``
    a CTC beam search without language model), so the figures depend on the synthesis
    model alone once the recogniser is fixed (see `scoring_recognizer`).

    Args:
        candidates: 0 writes each text once; N writes N candidates and keeps the best, as
            ``Synthesizer.generate(candidates=N)``, checked by ``recognizer`` (which makes
            the figures optimistic: the scorer chose the lines). Each row then also says
            how many lines needed a second round.
        progress: called with one-line progress messages (None: silent).
        style: the ``style=`` of ``Synthesizer.generate`` (default: the model's default
            style; ``"free"``: no priming).
    """
    options = decoding_options(beam_width)
    out = []
    for k, bias in enumerate(biases, 1):
        if progress:
            progress(f"bias {bias:g} ({k}/{len(biases)}): writing {len(texts)} texts, reading them back")
        start = time.perf_counter()
        strokes = synthesizer.generate(list(texts), bias=bias, seed=seed, candidates=candidates,
                                       recognizer=recognizer, style=style)
        read = [r.text for r in recognizer.recognize(strokes, **options)]
        row = {"bias": bias, **legibility_scores(texts, read)}
        if candidates:
            report = strokes.report
            row.update(candidates=candidates, second_round_lines=report.second_round_lines,
                       second_round_rate=report.second_round_rate, failed_lines=report.failed_lines,
                       candidates_read=report.reads)
        if progress:
            progress(f"bias {bias:g}: CER {100 * row['cer']:.1f}%, WER {100 * row['wer']:.1f}% "
                     f"({time.perf_counter() - start:.1f} s)")
        if details:
            row["texts"] = [{"text": t, "read": r} for t, r in zip(texts, read)]
        out.append(row)
    return out


def word_likeness(readings, lexicon, min_letters: int = 3) -> dict:
    """How word-like free handwriting reads: of the tokens read (split at white space,
    punctuation stripped at both ends, lowercased) with at least ``min_letters`` letters,
    the share that are words of ``lexicon``, and their mean length.

    For the prediction network (Graves section 4, Fig. 11), whose samples should look like
    words though no text was given: read them back with a fixed recogniser and score the
    readings against the language model's lexicon (``bench/prediction_words.py``).
    """
    tokens = [token.strip(".,;:!?\"'()-").lower() for reading in readings for token in reading.split()]
    tokens = [t for t in tokens if sum(c.isalpha() for c in t) >= min_letters]
    words = [t for t in tokens if t in lexicon]
    return {"tokens": len(tokens), "lexicon_words": len(words),
            "word_share": len(words) / len(tokens) if tokens else 0.0,
            "mean_token_length": float(np.mean([len(t) for t in tokens])) if tokens else 0.0}
