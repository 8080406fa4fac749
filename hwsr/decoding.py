"""CTC decoding of recogniser outputs: greedy (best path) and beam search.

Class 0 is the CTC blank (the alphabet's padding code, `hwsr.alphabet.Alphabet.PAD`). Both
decoders take ``logits [B, T, C]`` (unnormalised; they are log-softmaxed here) and the
number of valid frames per line ``logit_lengths [B]``, exactly as
`hwsr.models.HandwritingRecognitionModel` returns them, and give codes with blanks removed
and repeats merged (Graves et al. 2006, https://www.cs.toronto.edu/~graves/icml_2006.pdf).

Example:

>>> out = model({"strokes": strokes, "lengths": lengths})
>>> codes = greedy_decode(out["logits"], out["logit_lengths"])
>>> lines = decode(out["logits"], out["logit_lengths"], alphabet, method="beam", beam_width=16)
>>> lines[0].text, lines[0].score
"""

from __future__ import annotations

import dataclasses

import numpy as np

BLANK = 0
METHODS = ("greedy", "beam")


@dataclasses.dataclass(frozen=True)
class Decoded:
    """One decoded line.

    Attributes:
        codes: alphabet codes (no blanks).
        text: ``codes`` decoded with the alphabet (None when no alphabet was given).
        score: ``log P(codes | frames)``, the CTC log-likelihood of the decoded labelling
            summed over all its alignments (<= 0; closer to 0 is more confident). It is
            exact for both methods, so greedy and beam scores are comparable.
        frames: number of valid frames the line was decoded from.
    """

    codes: list[int]
    text: str | None
    score: float
    frames: int


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """Numerically stable log-softmax over the last axis (float64 accumulation)."""
    x = np.asarray(logits, dtype=np.float64)
    x = x - x.max(axis=-1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=-1, keepdims=True))


def _check_inputs(logits, logit_lengths) -> tuple[np.ndarray, np.ndarray]:
    """Converts to NumPy (``float32 [B, T, C]``, ``int64 [B]``) and checks the shapes."""
    logits = np.asarray(logits, dtype=np.float32)
    lengths = np.asarray(logit_lengths).astype(np.int64).reshape(-1)
    if logits.ndim != 3:
        raise ValueError(f"logits must be [batch, frames, classes], got shape {list(logits.shape)}")
    if logits.shape[2] < 2:
        raise ValueError(f"logits need at least 2 classes (blank + one symbol), got {logits.shape[2]}")
    if len(lengths) != logits.shape[0]:
        raise ValueError(f"{len(lengths)} logit lengths for a batch of {logits.shape[0]}")
    if (lengths < 0).any() or (lengths > logits.shape[1]).any():
        raise ValueError(f"logit lengths must lie in [0, {logits.shape[1]}], got {lengths.tolist()}")
    return logits, lengths


def collapse(path) -> list[int]:
    """Merges repeated symbols of a frame-level path, then removes the blanks."""
    path = np.asarray(path, dtype=np.int64).reshape(-1)
    if len(path) == 0:
        return []
    changed = np.concatenate([[True], path[1:] != path[:-1]])
    return [int(c) for c in path[changed] if c != BLANK]


def greedy_decode(logits, logit_lengths, return_scores: bool = False):
    """Best-path decoding: the most likely class per frame, repeats merged, blanks removed.

    Args:
        logits: ``[B, T, C]`` unnormalised scores, class 0 the blank.
        logit_lengths: ``[B]`` valid frames per line.
        return_scores: also return the log-probability of each best path.

    Returns:
        ``list[list[int]]`` of codes, or ``(codes, scores)`` with ``scores`` a float ``[B]``
        array of best-path log-probabilities (a lower bound on the labelling's likelihood).
    """
    logits, lengths = _check_inputs(logits, logit_lengths)
    best = logits.argmax(axis=-1)
    codes = [collapse(best[b, : lengths[b]]) for b in range(len(lengths))]
    if not return_scores:
        return codes
    logp = log_softmax(logits).max(axis=-1)
    valid = np.arange(logits.shape[1])[np.newaxis, :] < lengths[:, np.newaxis]
    return codes, (logp * valid).sum(axis=1)


def beam_search_decode(logits, logit_lengths, beam_width: int = 16, return_scores: bool = False):
    """CTC prefix beam search (``tf.nn.ctc_beam_search_decoder``) with class 0 as the blank.

    TensorFlow's decoder wants the blank as the *last* class, so the classes are rotated
    before decoding and the codes rotated back after.

    Args:
        logits: ``[B, T, C]`` unnormalised scores, class 0 the blank.
        logit_lengths: ``[B]`` valid frames per line.
        beam_width: prefixes kept per frame (1 is close to greedy; wider is slower).
        return_scores: also return the beam's log-probability of each labelling.

    Returns:
        ``list[list[int]]`` of codes, or ``(codes, scores)`` with ``scores`` a float ``[B]``
        array (the beam's estimate of ``log P(codes | frames)``, summed over the alignments
        the beam kept).
    """
    import tensorflow as tf

    if isinstance(beam_width, bool) or not isinstance(beam_width, (int, np.integer)) or beam_width < 1:
        raise ValueError(f"beam_width must be an integer >= 1, got {beam_width!r}")
    logits, lengths = _check_inputs(logits, logit_lengths)
    batch = logits.shape[0]
    if batch == 0:
        return ([], np.zeros([0])) if return_scores else []
    # Blank last: TF class k is our class k + 1; TF class C - 1 is our blank 0.
    rotated = np.concatenate([logits[..., 1:], logits[..., :1]], axis=-1)
    decoded, log_probs = tf.nn.ctc_beam_search_decoder(
        tf.transpose(tf.constant(rotated), [1, 0, 2]),
        tf.constant(lengths, tf.int32),
        beam_width=int(beam_width),
        top_paths=1,
    )
    sparse = decoded[0]
    indices = sparse.indices.numpy()
    values = sparse.values.numpy() + 1
    codes: list[list[int]] = [[] for _ in range(batch)]
    for (b, _), v in zip(indices, values):  # Row-major order: positions come sorted.
        codes[int(b)].append(int(v))
    if not return_scores:
        return codes
    return codes, log_probs.numpy()[:, 0].astype(np.float64)


def ctc_log_likelihood(logits, logit_lengths, labels) -> np.ndarray:
    """``log P(labels[b] | logits[b])`` under CTC, summed over all alignments.

    The CTC forward recursion (Graves et al. 2006, section 4.1) in log space, in NumPy,
    vectorised over the batch. (``tf.nn.ctc_loss`` with dense labels runs a far slower
    scan on CPU, and its fast kernel rejects empty labellings.)

    Args:
        logits: ``[B, T, C]`` unnormalised scores, class 0 the blank.
        logit_lengths: ``[B]`` valid frames per line.
        labels: one code list per line (no blanks); may be empty.

    Returns:
        A float ``[B]`` array; ``-inf`` where a labelling cannot fit in its frames.
    """
    logits, lengths = _check_inputs(logits, logit_lengths)
    if len(labels) != len(lengths):
        raise ValueError(f"{len(labels)} labellings for a batch of {len(lengths)}")
    batch, frames, classes = logits.shape
    label_lengths = np.array([len(lab) for lab in labels], np.int64)
    states = 2 * int(label_lengths.max(initial=0)) + 1
    # Extended labellings: a blank before, between and after the labels.
    ext = np.zeros([batch, states], np.int64)
    for i, lab in enumerate(labels):
        lab = np.asarray(lab, np.int64).reshape(-1)
        if (lab == BLANK).any() or (lab < 0).any() or (lab >= classes).any():
            raise ValueError(f"labelling {i} holds codes outside 1..{classes - 1}: {lab.tolist()}")
        ext[i, 1 : 2 * len(lab) : 2] = lab
    ext_lengths = 2 * label_lengths + 1
    valid = np.arange(states)[np.newaxis, :] < ext_lengths[:, np.newaxis]
    # A state may be entered from two back when it holds a label that differs from that one.
    skip = np.zeros([batch, states], bool)
    skip[:, 2:] = (ext[:, 2:] != BLANK) & (ext[:, 2:] != ext[:, :-2])
    logp = log_softmax(logits)
    neg_inf = np.full([batch, 1], -np.inf)
    alpha = np.full([batch, states], -np.inf)
    if frames:
        emit = np.take_along_axis(logp[:, 0], ext, axis=1)
        alpha[:, :2] = emit[:, :2]
        alpha[~valid] = -np.inf
    with np.errstate(invalid="ignore"):  # logaddexp(-inf, -inf) is -inf, as wanted.
        for t in range(1, frames):
            emit = np.take_along_axis(logp[:, t], ext, axis=1)
            one_back = np.concatenate([neg_inf, alpha[:, :-1]], axis=1)
            two_back = np.where(skip, np.concatenate([neg_inf, neg_inf, alpha[:, :-2]], axis=1)[:, :states],
                                -np.inf)
            new = np.logaddexp(np.logaddexp(alpha, one_back), two_back) + emit
            new[~valid] = -np.inf
            alpha = np.where((t < lengths)[:, np.newaxis], new, alpha)
        rows = np.arange(batch)
        last = alpha[rows, ext_lengths - 1]
        before_last = np.where(ext_lengths > 1, alpha[rows, np.maximum(ext_lengths - 2, 0)], -np.inf)
        out = np.logaddexp(last, before_last)
    # No frames: only the empty labelling is possible, with probability 1.
    return np.where(lengths == 0, np.where(label_lengths == 0, 0.0, -np.inf), out)


def decode(logits, logit_lengths, alphabet=None, method: str = "greedy",
           beam_width: int = 16) -> list[Decoded]:
    """Decodes a batch into `Decoded` lines (codes, text, CTC log-likelihood score).

    Args:
        logits: ``[B, T, C]`` unnormalised scores, class 0 the blank.
        logit_lengths: ``[B]`` valid frames per line.
        alphabet: a `hwsr.alphabet.Alphabet` to turn codes into text (optional).
        method: ``"greedy"`` or ``"beam"``.
        beam_width: beam width for ``method="beam"``.
    """
    if method == "greedy":
        codes = greedy_decode(logits, logit_lengths)
    elif method == "beam":
        codes = beam_search_decode(logits, logit_lengths, beam_width=beam_width)
    else:
        raise ValueError(f"method={method!r}: expected one of {METHODS}")
    scores = ctc_log_likelihood(logits, logit_lengths, codes)
    lengths = np.asarray(logit_lengths).reshape(-1)
    return [
        Decoded(codes=c, text=alphabet.decode(c) if alphabet is not None else None,
                score=float(s), frames=int(n))
        for c, s, n in zip(codes, scores, lengths)
    ]
