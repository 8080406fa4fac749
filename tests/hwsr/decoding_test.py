"""Tests for hwsr/decoding.py: greedy and beam CTC decoding, CTC likelihoods."""

import itertools

import numpy as np
import pytest

from hwsr.alphabet import Alphabet
from hwsr.decoding import (
    Decoded,
    LMScorer,
    beam_search_decode,
    collapse,
    ctc_log_likelihood,
    decode,
    greedy_decode,
    lexicon_word,
    log_softmax,
    prefix_beam_search,
)
from hwsr.language_model import CharNgramLM


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


def test_ctc_log_likelihood_stays_exact_far_below_float_range():
    # Long, confident lines: their likelihoods (e^-2000 and less) underflow float64 many
    # times over, so the rescaled recursion must still agree with TensorFlow's log-space one.
    import tensorflow as tf

    rng = np.random.default_rng(5)
    logits = (rng.normal(size=[3, 600, 7]) * 12).astype(np.float32)
    lengths = np.array([600, 417, 2])
    labels = [list(rng.integers(1, 7, 40)), list(rng.integers(1, 7, 90)), [3]]
    dense = np.zeros([3, 90], np.int32)
    for i, lab in enumerate(labels):
        dense[i, : len(lab)] = lab
    want = -tf.nn.ctc_loss(dense, logits, [len(lab) for lab in labels], lengths,
                           logits_time_major=False, blank_index=0).numpy()
    got = ctc_log_likelihood(logits, lengths, labels)
    assert (got < -2000).sum() == 2
    np.testing.assert_allclose(got, want, rtol=1e-4)


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


# Prefix beam search with a language model ----------------------------------------------------

CAT_ALPHABET = Alphabet("acot ")  # Codes: a=2, c=3, o=4, t=5, space=6.


@pytest.fixture(scope="module")
def cat_lm():
    return CharNgramLM.estimate(["a cat", "the cat sat", "cat", "my cat", "cats and a cat"] * 5,
                                "acdehmnost ", order=4, lexicon=["a", "cat", "cats"])


def frames(*spec) -> np.ndarray:
    """``[1, T, 7]`` logits: one frame per ``{code: logit}`` (others 0), blanks between."""
    rows = []
    for scores in spec:
        row = np.zeros(len(CAT_ALPHABET), np.float32)
        for code, value in scores.items():
            row[code] = value
        blank = np.zeros(len(CAT_ALPHABET), np.float32)
        blank[0] = 8.0
        rows += [row, blank]
    return np.stack(rows)[np.newaxis]


def ambiguous_cat():
    """Ink that reads "cot" by a hair: the vowel frame gives 'o' a little more than 'a'."""
    return frames({3: 8.0}, {4: 6.2, 2: 6.0}, {5: 8.0})


def test_prefix_beam_search_without_lm_finds_what_tensorflow_finds():
    rng = np.random.default_rng(5)
    for _ in range(5):
        logits = (rng.normal(size=[4, 10, 5]) * 3).astype(np.float32)
        lengths = np.array([10, 8, 5, 1])
        ours = prefix_beam_search(logits, lengths, beam_width=8, prune_log_prob=-np.inf)
        tf_codes = beam_search_decode(logits, lengths, beam_width=8)
        assert [line[0].codes for line in ours] == tf_codes
        exact = ctc_log_likelihood(logits, lengths, tf_codes)
        assert all(line[0].score <= e + 1e-6 for line, e in zip(ours, exact))  # Kept alignments only.


def test_wide_prefix_beam_search_is_exact():
    rng = np.random.default_rng(6)
    logits = (rng.normal(size=[3, 5, 3]) * 2).astype(np.float32)
    for b, line in enumerate(prefix_beam_search(logits, [5, 5, 5], beam_width=100, top_paths=4,
                                                prune_log_prob=-np.inf)):
        table = brute_force_labellings(logits[b], 5)
        ranked = sorted(table, key=table.get, reverse=True)[:4]
        assert [tuple(c.codes) for c in line] == ranked
        np.testing.assert_allclose([c.score for c in line], [table[k] for k in ranked], atol=1e-6)


def test_lm_weight_zero_is_the_plain_beam_search(cat_lm, random_batch):
    logits, lengths = random_batch
    alphabet = Alphabet("acot")  # 6 codes, as the logits.
    scorer = LMScorer(cat_lm, alphabet, weight=0.0, word_bonus=0.0)
    plain = prefix_beam_search(logits, lengths, beam_width=6, top_paths=3, alphabet=alphabet)
    with_lm = prefix_beam_search(logits, lengths, beam_width=6, top_paths=3, scorer=scorer)
    assert [[(c.codes, c.text) for c in line] for line in with_lm] == \
        [[(c.codes, c.text) for c in line] for line in plain]
    np.testing.assert_allclose([c.score for line in with_lm for c in line],
                               [c.score for line in plain for c in line], atol=1e-9)


def test_the_language_model_fixes_an_ambiguous_reading(cat_lm):
    logits = ambiguous_cat()
    assert CAT_ALPHABET.decode(greedy_decode(logits, [logits.shape[1]])[0]) == "cot"
    plain = prefix_beam_search(logits, [logits.shape[1]], beam_width=8, alphabet=CAT_ALPHABET)
    assert plain[0][0].text == "cot"
    scorer = LMScorer(cat_lm, CAT_ALPHABET, weight=0.5)
    fixed = decode(logits, [logits.shape[1]], CAT_ALPHABET, method="beam", beam_width=8, scorer=scorer,
                   top_paths=3)[0]
    assert fixed.text == "cat"
    assert [c.text for c in fixed.candidates[:2]] == ["cat", "cot"]
    assert fixed.score == pytest.approx(ctc_log_likelihood(logits, [logits.shape[1]], [fixed.codes])[0])


def test_n_best_candidates_are_distinct_and_ranked(cat_lm, random_batch):
    logits, lengths = random_batch
    alphabet = Alphabet("acot")
    scorer = LMScorer(cat_lm, alphabet, weight=0.7, word_bonus=0.5)
    for scorer_or_none in (scorer, None):
        for d in decode(logits, lengths, alphabet, method="beam", beam_width=8, scorer=scorer_or_none,
                        top_paths=5):
            scores = [c.score for c in d.candidates]
            assert 1 <= len(d.candidates) <= 5 and scores == sorted(scores, reverse=True)
            assert len({tuple(c.codes) for c in d.candidates}) == len(d.candidates)
            assert d.candidates[0].codes == d.codes and d.candidates[0].text == d.text
    greedy = decode(logits, lengths, alphabet, method="greedy")
    assert all(len(d.candidates) == 1 and d.candidates[0].score == d.score for d in greedy)


def test_word_bonus_and_lexicon_penalty(cat_lm):
    # "c t" (two words) against "ct" (one), the gap frame a little more blank than space:
    # a word bonus tips the balance.
    logits = frames({3: 8.0}, {6: 1.0, 0: 1.2}, {5: 8.0})
    n = [logits.shape[1]]
    texts = {bonus: prefix_beam_search(logits, n, 8, LMScorer(cat_lm, CAT_ALPHABET, 0.0, bonus))[0][0].text
             for bonus in (0.0, 3.0)}
    assert texts == {0.0: "ct", 3.0: "c t"}
    # "cot" is out of the lexicon, "cat" in it: a penalty alone (no LM weight) fixes the reading.
    oov = LMScorer(cat_lm, CAT_ALPHABET, weight=0.0, oov_penalty=5.0)
    assert prefix_beam_search(ambiguous_cat(), [ambiguous_cat().shape[1]], 8, oov)[0][0].text == "cat"
    assert lexicon_word('"Cat,') == "cat" and lexicon_word("1990") == "" and lexicon_word("don't") == "don't"
    no_lexicon = CharNgramLM.estimate(["cat"], "act", order=2)
    with pytest.raises(ValueError, match="lexicon"):
        LMScorer(no_lexicon, CAT_ALPHABET, oov_penalty=1.0)


def test_greedy_cannot_take_a_language_model(cat_lm):
    with pytest.raises(ValueError, match="greedy"):
        decode(ambiguous_cat(), [6], CAT_ALPHABET, method="greedy", scorer=LMScorer(cat_lm, CAT_ALPHABET))
    with pytest.raises(ValueError, match="top_paths"):
        prefix_beam_search(ambiguous_cat(), [6], beam_width=2, top_paths=3)
    with pytest.raises(ValueError, match="classes"):
        prefix_beam_search(ambiguous_cat(), [6], scorer=LMScorer(cat_lm, Alphabet("ac")))
