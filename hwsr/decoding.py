"""CTC decoding of recogniser outputs: greedy (best path) and beam search.

Class 0 is the CTC blank (the alphabet's padding code, `hwsr.alphabet.Alphabet.PAD`). Both
decoders take ``logits [B, T, C]`` (unnormalised; they are log-softmaxed here) and the
number of valid frames per line ``logit_lengths [B]``, exactly as
`hwsr.models.HandwritingRecognitionModel` returns them, and give codes with blanks removed
and repeats merged (Graves et al. 2006, https://www.cs.toronto.edu/~graves/icml_2006.pdf).

Example:

>>> from hwsr.alphabet import Alphabet
>>> alphabet = Alphabet.iam_ondb()
>>> h, i = alphabet.encode("hi")
>>> logits = np.zeros((1, 4, len(alphabet)), "float32")
>>> logits[0, [0, 1, 2, 3], [h, 0, i, 0]] = 8.0  # Frames: h, blank, i, blank.
>>> alphabet.decode(greedy_decode(logits, np.array([4]))[0])
'hi'
>>> decode(logits, np.array([4]), alphabet, method="beam", beam_width=4)[0].text
'hi'
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

BLANK = 0
METHODS = ("greedy", "beam")

#: Beam-search settings with the shipped language model, tuned on the validation split with
#: the shipped recogniser (``bench/lm_decoding.py``; figures in the README).
DEFAULT_BEAM_WIDTH = 16
DEFAULT_LM_WEIGHT = 0.5
DEFAULT_WORD_BONUS = 0.25
DEFAULT_OOV_PENALTY = 3.0
#: N-best readings kept per line.
DEFAULT_CANDIDATES = 5
#: Symbols less likely than this (natural log) at a frame are not tried there: on the
#: validation split the same error rates as -12 at half the time (-5 loses 0.1 CER point).
DEFAULT_PRUNE_LOG_PROB = -8.0
#: Stripped from both ends of a token before a lexicon look-up.
WORD_PUNCTUATION = "\"'()[],.:;!?-*+/#&"


def lexicon_word(token: str) -> str:
    """The form of a written token that is looked up in a lexicon: punctuation stripped from
    both ends, lowercase; empty for tokens with digits or no letters."""
    word = token.strip(WORD_PUNCTUATION).lower()
    return word if word.isalpha() or (word.replace("'", "").isalpha() and word) else ""


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
        candidates: the N best readings (`Candidate`), best first; ``candidates[0]`` has
            these ``codes`` (its ``score`` is the decoder's ranking score, see `Candidate`).
    """

    codes: list[int]
    text: str | None
    score: float
    frames: int
    candidates: tuple = ()


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

    _check_beam_width(beam_width)
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


def _check_beam_width(beam_width) -> None:
    if isinstance(beam_width, bool) or not isinstance(beam_width, (int, np.integer)) or beam_width < 1:
        raise ValueError(f"beam_width must be an integer >= 1, got {beam_width!r}")


def ctc_log_likelihood(logits, logit_lengths, labels) -> np.ndarray:
    """``log P(labels[b] | logits[b])`` under CTC, summed over all alignments.

    The CTC forward recursion (Graves et al. 2006, section 4.1) in NumPy, vectorised over
    the batch, with the forward variables rescaled to sum 1 at every frame and the log of
    the scales summed (the paper's rescaling, eq. 10), which keeps it in probability space:
    twice as fast as the same recursion in log space. (``tf.nn.ctc_loss`` with dense labels
    runs a far slower scan on CPU, and its fast kernel rejects empty labellings.)

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
    skip = ((ext[:, 2:] != BLANK) & (ext[:, 2:] != ext[:, :-2])).astype(np.float64)
    # Every state's emission probability at every frame; states past a labelling's end emit 0.
    indices = np.broadcast_to(ext[:, None, :], (batch, frames, states))
    emit = np.take_along_axis(np.exp(log_softmax(logits)), indices, axis=2) * valid[:, None, :]
    rows = np.arange(batch)
    last, before_last = ext_lengths - 1, np.maximum(ext_lengths - 2, 0)
    # No frames: only the empty labelling is possible, with probability 1.
    out = np.where(label_lengths == 0, 0.0, -np.inf)
    alpha = np.zeros([batch, states])
    log_scale = np.zeros(batch)
    for t in range(frames):
        if t == 0:
            alpha[:, :2] = emit[:, 0, :2]
        else:
            prev = alpha
            alpha = prev * emit[:, t]
            alpha[:, 1:] += prev[:, :-1] * emit[:, t, 1:]
            alpha[:, 2:] += skip * prev[:, :-2] * emit[:, t, 2:]
        total = alpha.sum(axis=1)
        total[total <= 0] = 1.0  # A labelling that cannot be on track stays at 0.
        alpha /= total[:, None]
        log_scale += np.log(total)
        ending = rows[lengths == t + 1]  # Lines whose last frame this is.
        if len(ending):
            end = alpha[ending, last[ending]] + np.where(ext_lengths[ending] > 1,
                                                         alpha[ending, before_last[ending]], 0.0)
            with np.errstate(divide="ignore"):
                out[ending] = np.log(end) + log_scale[ending]
    return out


def decode(logits, logit_lengths, alphabet=None, method: str = "greedy",
           beam_width: int = 16, scorer: LMScorer | None = None, top_paths: int = 1) -> list[Decoded]:
    """Decodes a batch into `Decoded` lines (codes, text, CTC log-likelihood, N best).

    Args:
        logits: ``[B, T, C]`` unnormalised scores, class 0 the blank.
        logit_lengths: ``[B]`` valid frames per line.
        alphabet: a `hwsr.alphabet.Alphabet` to turn codes into text (optional).
        method: ``"greedy"`` or ``"beam"``.
        beam_width: beam width for ``method="beam"``.
        scorer: a language model (`LMScorer`) for ``method="beam"``. The beam search is
            `prefix_beam_search`, except without a scorer for one path: TensorFlow's
            (`beam_search_decode`).
        top_paths: candidates kept per line for ``method="beam"`` (greedy gives one).
    """
    if method == "greedy":
        if scorer is not None:
            raise ValueError("method='greedy' cannot use a language model; use method='beam'")
        codes = greedy_decode(logits, logit_lengths)
        found = None
    elif method == "beam":
        if scorer is None and top_paths == 1:  # TensorFlow's (C++) beam search: the fastest.
            codes, beam_scores = beam_search_decode(logits, logit_lengths, beam_width, return_scores=True)
            found = [[(c, float(v))] for c, v in zip(codes, beam_scores)]
        else:
            found = [[(c.codes, c.score) for c in line]
                     for line in prefix_beam_search(logits, logit_lengths, beam_width, scorer, top_paths)]
        codes = [line[0][0] for line in found]
    else:
        raise ValueError(f"method={method!r}: expected one of {METHODS}")
    scores = ctc_log_likelihood(logits, logit_lengths, codes)
    lengths = np.asarray(logit_lengths).reshape(-1)
    text = (lambda c: alphabet.decode(c)) if alphabet is not None else (lambda c: None)
    out = []
    for i, (c, s, n) in enumerate(zip(codes, scores, lengths)):
        ranked = found[i] if found is not None else [(c, float(s))]
        candidates = tuple(Candidate(codes=list(k), text=text(k), score=float(v)) for k, v in ranked)
        out.append(Decoded(codes=c, text=text(c), score=float(s), frames=int(n), candidates=candidates))
    return out


@dataclasses.dataclass(frozen=True)
class Candidate:
    """One of the N best readings of a line (best first in `Decoded.candidates`).

    Attributes:
        codes: alphabet codes.
        text: ``codes`` decoded with the alphabet (None when no alphabet was given).
        score: the beam search's score that ranks the candidates: ``log P(codes | frames)``
            (over the alignments the beam kept) ``+ lm_weight * log P_LM(text)
            + word_bonus * words - oov_penalty * words outside the lexicon``. Without a
            language model it is the CTC log-likelihood alone. Higher is better.
    """

    codes: list[int]
    text: str | None
    score: float


class LMScorer:
    """A `hwsr.language_model.CharNgramLM` seen through a recogniser's alphabet: the
    beam search's language-model term.

    Args:
        lm: the character n-gram model.
        alphabet: the recogniser's `hwsr.alphabet.Alphabet` (codes -> characters).
        weight: ``lm_weight``, the scale of ``log P_LM`` in the score.
        word_bonus: added per word (balances the LM's preference for short readings).
        oov_penalty: subtracted per finished word that is not in the LM's lexicon
            (`lexicon_word` form); 0 ignores the lexicon.
    """

    #: Log probability given to recogniser codes the LM has no character for.
    UNMAPPED_LOG_PROB = -20.0
    MAX_CACHED_ROWS = 50000

    def __init__(self, lm, alphabet, weight: float = 1.0, word_bonus: float = 0.0,
                 oov_penalty: float = 0.0):
        from hwsr.language_model import BOS

        if oov_penalty and lm.lexicon is None:
            raise ValueError("oov_penalty needs a language model with a lexicon")
        self.lm = lm
        self.alphabet = alphabet
        self.weight = float(weight)
        self.word_bonus = float(word_bonus)
        self.oov_penalty = float(oov_penalty)
        # Column of each recogniser code in the LM's rows (the last column: unmapped).
        self._column = np.full(len(alphabet), lm.num_symbols, np.int64)
        self._symbol = np.full(len(alphabet), BOS, np.int64)  # Unmapped codes reset the history.
        for code in range(alphabet.NUM_RESERVED, len(alphabet)):
            char = alphabet.decode([code])
            if char in lm.characters:
                self._column[code] = self._symbol[code] = lm.characters.index(char) + 2
        self.space = alphabet.encode(" ")[0] if " " in alphabet else -1
        self.initial_state = (BOS,) * (lm.order - 1)
        self._rows: dict[tuple, np.ndarray] = {}

    def rows(self, states: list[tuple]) -> list[np.ndarray]:
        """``weight * log P_LM(code | state)`` over the recogniser's codes, for each state
        (cached; the missing ones are computed in one vectorised query)."""
        missing = list({s for s in states if s not in self._rows})
        if missing:
            if len(self._rows) + len(missing) > self.MAX_CACHED_ROWS:
                self._rows.clear()
                missing = list(set(states))
            full = self.lm.log_probs(np.array(missing, np.int64).reshape(len(missing), -1))
            full = np.concatenate([full, np.full([len(missing), 1], self.UNMAPPED_LOG_PROB)], axis=1)
            for s, row in zip(missing, full[:, self._column]):
                self._rows[s] = self.weight * row
        return [self._rows[s] for s in states]

    def end(self, states: list[tuple]) -> np.ndarray:
        """``weight * log P_LM(end of line | state)`` for each state."""
        from hwsr.language_model import EOS

        contexts = np.array(states, np.int64).reshape(len(states), -1)
        return self.weight * self.lm.log_prob(contexts, np.full(len(states), EOS))

    def next_state(self, state: tuple, code: int) -> tuple:
        return (*state[1:], int(self._symbol[code])) if state else state

    def word_penalty(self, codes) -> float:
        """``-oov_penalty`` when the last word of ``codes`` is not in the lexicon, else 0."""
        if not self.oov_penalty or not codes:
            return 0.0
        text = self.alphabet.decode(codes)
        word = lexicon_word(text.rsplit(" ", 1)[-1])
        return -self.oov_penalty if word and word not in self.lm.lexicon else 0.0


def _logaddexp(a: float, b: float) -> float:
    """``log(exp(a) + exp(b))`` for Python floats (a NumPy ufunc call costs more per scalar)."""
    if a < b:
        a, b = b, a
    return a if b == -math.inf else a + math.log1p(math.exp(b - a))


def _search_line(logp: np.ndarray, beam_width: int, scorer: LMScorer | None, top_paths: int,
                 prune_log_prob: float) -> list[tuple[tuple, float]]:
    """Prefix beam search over one line's ``[T, C]`` log-probabilities (Hannun et al. 2014,
    https://arxiv.org/abs/1408.2873): ``[(codes, score)]``, best first.

    A beam entry is ``[p_blank, p_nonblank, lm_terms, lm_state]`` (log space), keyed by its
    prefix (a tuple of codes).
    """
    neg_inf = -math.inf
    beams = {(): [0.0, neg_inf, 0.0, scorer.initial_state if scorer else ()]}
    candidates = logp[:, 1:] > prune_log_prob
    for t in range(len(logp)):
        chars = (np.flatnonzero(candidates[t]) + 1).tolist()
        lp = logp[t].tolist()
        blank = lp[BLANK]
        rows = scorer.rows([b[3] for b in beams.values()]) if scorer is not None and chars else None
        nxt: dict[tuple, list] = {}
        for i, (prefix, (pb, pnb, lm, state)) in enumerate(beams.items()):
            total = _logaddexp(pb, pnb)
            last = prefix[-1] if prefix else -1
            entry = nxt.get(prefix)
            if entry is None:
                nxt[prefix] = [total + blank, pnb + lp[last] if prefix else neg_inf, lm, state]
            else:
                entry[0] = _logaddexp(entry[0], total + blank)
                if prefix:
                    entry[1] = _logaddexp(entry[1], pnb + lp[last])
            if rows is not None:
                row = rows[i]
            for c in chars:
                p = lp[c] + (pb if c == last else total)
                if p == neg_inf:
                    continue
                new = (*prefix, c)
                entry = nxt.get(new)
                if entry is not None:
                    entry[1] = _logaddexp(entry[1], p)
                    continue
                new_lm, new_state = lm, state
                if scorer is not None:
                    new_lm += row[c]
                    new_state = None  # Computed for the survivors only (see below).
                    if c == scorer.space:
                        new_lm += scorer.word_penalty(prefix)
                    elif last == scorer.space or not prefix:
                        new_lm += scorer.word_bonus
                nxt[new] = [neg_inf, p, new_lm, new_state]
        if len(nxt) > beam_width:
            keys = list(nxt)
            scores = np.array([_logaddexp(e[0], e[1]) + e[2] for e in nxt.values()])
            keep = np.argpartition(-scores, beam_width - 1)[:beam_width]
            nxt = {keys[k]: nxt[keys[k]] for k in keep.tolist()}
        if scorer is not None:
            for prefix, entry in nxt.items():
                if entry[3] is None:
                    entry[3] = scorer.next_state(beams[prefix[:-1]][3], prefix[-1])
        beams = nxt
    items = list(beams.items())
    scores = np.array([_logaddexp(b[0], b[1]) + b[2] for _, b in items])
    if scorer is not None:
        scores += scorer.end([b[3] for _, b in items])
        scores += [scorer.word_penalty(p) if (p and p[-1] != scorer.space) else 0.0 for p, _ in items]
    order = np.argsort(-scores, kind="stable")[:top_paths]
    return [(items[i][0], float(scores[i])) for i in order]


def prefix_beam_search(logits, logit_lengths, beam_width: int = 16, scorer: LMScorer | None = None,
                       top_paths: int = 1, prune_log_prob: float = DEFAULT_PRUNE_LOG_PROB, alphabet=None
                       ) -> list[list[Candidate]]:
    """CTC prefix beam search in NumPy, optionally with a character language model.

    Each frame extends every kept prefix by the symbols whose log-probability at that frame
    exceeds ``prune_log_prob``; prefixes are ranked by ``log P(prefix | frames so far)`` plus the
    scorer's LM terms (``lm_weight * log P_LM``, word bonus, out-of-lexicon penalty), and the
    line end adds ``lm_weight * log P_LM(end | prefix)``. With ``scorer=None`` and
    ``prune_log_prob=-inf`` it is the plain prefix beam search of `beam_search_decode`.

    Args:
        logits: ``[B, T, C]`` unnormalised scores, class 0 the blank.
        logit_lengths: ``[B]`` valid frames per line.
        beam_width: prefixes kept per frame.
        scorer: the language-model term (`LMScorer`), or None.
        top_paths: candidates returned per line (at most ``beam_width``).
        prune_log_prob: symbols less likely than this at a frame are not tried there.
        alphabet: turns codes into `Candidate.text` (default: the scorer's, else none).

    Returns:
        For each line, up to ``top_paths`` `Candidate` objects, best first.
    """
    _check_beam_width(beam_width)
    if not 1 <= int(top_paths) <= beam_width:
        raise ValueError(f"top_paths must lie in [1, beam_width={beam_width}], got {top_paths}")
    logits, lengths = _check_inputs(logits, logit_lengths)
    alphabet = alphabet if alphabet is not None else (scorer.alphabet if scorer is not None else None)
    if scorer is not None and len(scorer.alphabet) != logits.shape[2]:
        raise ValueError(f"the scorer's alphabet has {len(scorer.alphabet)} codes, the logits "
                         f"{logits.shape[2]} classes")
    logp = log_softmax(logits)
    out = []
    for b in range(len(lengths)):
        found = _search_line(logp[b, : lengths[b]], int(beam_width), scorer, int(top_paths), prune_log_prob)
        out.append([Candidate(codes=list(codes), score=score,
                              text=alphabet.decode(codes) if alphabet is not None else None)
                    for codes, score in found])
    return out
