"""Tests for hwsr/decoding.py: greedy and beam CTC decoding, CTC likelihoods."""

import itertools

import numpy as np
import pytest

from hwsr.alphabet import Alphabet
from hwsr.decoding import (
    Decoded,
    beam_search_decode,
    collapse,
    ctc_log_likelihood,
    decode,
    greedy_decode,
    log_softmax,
)


def reference_greedy(logits, lengths):
    """Plain-Python best path: argmax per frame, merge repeats, drop blanks (0)."""
    out = []
    for b, n in enumerate(lengths):
        codes, previous = [], None
        for t in range(n):
            c = int(np.argmax(logits[b, t]))
            if c != previous and c != 0:
                codes.append(c)
            previous = c
        out.append(codes)
    return out


def brute_force_labellings(logits, n):
    """``{labelling: log P(labelling)}`` by summing over every frame-level path."""
    probs = np.exp(log_softmax(logits[:n]))
    totals = {}
    for path in itertools.product(range(logits.shape[1]), repeat=n):
        p = np.prod(probs[np.arange(n), path])
        key = tuple(collapse(path))
        totals[key] = totals.get(key, 0.0) + p
    return {k: np.log(v) for k, v in totals.items()}


@pytest.fixture
def random_batch():
    rng = np.random.default_rng(0)
    logits = (rng.normal(size=[8, 15, 6]) * 2.5).astype(np.float32)
    lengths = np.array([15, 14, 9, 5, 1, 15, 12, 0])
    return logits, lengths


def test_collapse_merges_repeats_then_drops_blanks():
    assert collapse([0, 3, 3, 0, 3, 2, 2, 0]) == [3, 3, 2]
    assert collapse([1, 1, 1]) == [1]
    assert collapse([0, 0]) == []
    assert collapse([]) == []


def test_greedy_matches_numpy_reference(random_batch):
    logits, lengths = random_batch
    assert greedy_decode(logits, lengths) == reference_greedy(logits, lengths)
    assert greedy_decode(logits, lengths)[-1] == []  # Zero frames: nothing.


def test_greedy_ignores_frames_past_the_length(random_batch):
    logits, lengths = random_batch
    changed = logits.copy()
    for b, n in enumerate(lengths):
        changed[b, n:, 3] = 100.0
    assert greedy_decode(changed, lengths) == greedy_decode(logits, lengths)


def test_greedy_scores_are_best_path_log_probabilities(random_batch):
    logits, lengths = random_batch
    _, scores = greedy_decode(logits, lengths, return_scores=True)
    logp = log_softmax(logits)
    for b, n in enumerate(lengths):
        assert scores[b] == pytest.approx(sum(logp[b, t].max() for t in range(n)), abs=1e-6)


def test_ctc_log_likelihood_matches_brute_force():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=[2, 5, 3]).astype(np.float32)
    lengths = np.array([5, 4])
    labels = [[1, 2], [2, 2]]
    got = ctc_log_likelihood(logits, lengths, labels)
    for b in range(2):
        want = brute_force_labellings(logits[b], lengths[b])[tuple(labels[b])]
        assert got[b] == pytest.approx(want, abs=1e-4)
    # Two 2s need a blank between them: three labels cannot fit in two frames.
    assert ctc_log_likelihood(logits[:1, :2], [2], [[2, 2, 1]])[0] == -np.inf
    assert ctc_log_likelihood(logits, lengths, [[], []])[0] == pytest.approx(
        log_softmax(logits[0])[:, 0].sum(), abs=1e-5)


def test_ctc_log_likelihood_matches_tf_ctc_loss(random_batch):
    import tensorflow as tf

    logits, lengths = random_batch
    logits, lengths = logits[:6], lengths[:6]  # Lines with frames.
    labels = [[1, 2, 2, 5], [3], [4, 4], [1, 3, 1], [], [5, 1, 2, 3, 4, 1]]
    dense = np.zeros([6, 6], np.int32)
    for i, lab in enumerate(labels):
        dense[i, : len(lab)] = lab
    want = -tf.nn.ctc_loss(dense, logits, [len(lab) for lab in labels], lengths,
                           logits_time_major=False, blank_index=0).numpy()
    np.testing.assert_allclose(ctc_log_likelihood(logits, lengths, labels), want, rtol=1e-4)


def test_beam_search_finds_the_most_likely_labelling():
    # Small enough to enumerate every path: with a wide beam, prefix beam search must return
    # the exact argmax labelling and its exact probability. Class 2 is the last class, where
    # TensorFlow puts its blank: this checks the class rotation.
    rng = np.random.default_rng(2)
    logits = (rng.normal(size=[6, 6, 3]) * 2).astype(np.float32)
    logits[0, :, 2] += 3.0  # A line that is mostly class 2.
    lengths = np.array([6, 6, 5, 6, 4, 6])
    codes, scores = beam_search_decode(logits, lengths, beam_width=200, return_scores=True)
    for b, n in enumerate(lengths):
        table = brute_force_labellings(logits[b], n)
        best = max(table, key=table.get)
        assert tuple(codes[b]) == best
        assert scores[b] == pytest.approx(table[best], abs=1e-4)
    assert 2 in codes[0]


def test_beam_likelihood_is_at_least_greedy(random_batch):
    logits, lengths = random_batch
    greedy = greedy_decode(logits, lengths)
    beam = beam_search_decode(logits, lengths, beam_width=16)
    ll_greedy = ctc_log_likelihood(logits, lengths, greedy)
    ll_beam = ctc_log_likelihood(logits, lengths, beam)
    assert (ll_beam >= ll_greedy - 1e-4).all()
    assert (ll_beam > ll_greedy + 1e-3).any()  # These random frames are not all easy.


def test_peaked_frames_decode_the_same_both_ways():
    logits = np.full([1, 7, 5], -10.0, np.float32)
    for t, c in enumerate([0, 3, 3, 0, 3, 4, 0]):
        logits[0, t, c] = 10.0
    assert greedy_decode(logits, [7]) == [[3, 3, 4]]
    assert beam_search_decode(logits, [7], beam_width=4) == [[3, 3, 4]]
    assert beam_search_decode(logits, [7], beam_width=1) == [[3, 3, 4]]


def test_decode_returns_texts_and_exact_scores(random_batch):
    logits, lengths = random_batch
    alphabet = Alphabet("abcd")  # Codes 2..5; code 1 is "unknown".
    for method in ("greedy", "beam"):
        lines = decode(logits, lengths, alphabet, method=method, beam_width=8)
        assert all(isinstance(d, Decoded) for d in lines)
        codes = [d.codes for d in lines]
        assert [d.text for d in lines] == [alphabet.decode(c) for c in codes]
        np.testing.assert_allclose([d.score for d in lines],
                                   ctc_log_likelihood(logits, lengths, codes), atol=1e-5)
        assert [d.frames for d in lines] == lengths.tolist()
    assert decode(logits, lengths)[0].text is None


def test_bad_arguments_are_reported():
    logits = np.zeros([2, 4, 3], np.float32)
    with pytest.raises(ValueError, match="method='viterbi'"):
        decode(logits, [4, 4], method="viterbi")
    with pytest.raises(ValueError, match="beam_width"):
        beam_search_decode(logits, [4, 4], beam_width=0)
    with pytest.raises(ValueError, match=r"\[batch, frames, classes\]"):
        greedy_decode(logits[0], [4])
    with pytest.raises(ValueError, match="2 logit lengths"):
        greedy_decode(logits[:1], [4, 4])
    with pytest.raises(ValueError, match="logit lengths must lie"):
        greedy_decode(logits, [4, 5])
    with pytest.raises(ValueError, match="outside"):
        ctc_log_likelihood(logits, [4, 4], [[0], [1]])
