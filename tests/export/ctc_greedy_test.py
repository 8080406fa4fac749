import numpy as np
import tensorflow as tf

from hwsr.export.ctc_greedy import ctc_greedy_decode


def test_matches_tensorflow_greedy_decoder():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 2, (4, 30, 6)).astype(np.float32)
    logits[:, ::3, 0] += 3.0  # Plenty of blanks and repeats.
    lengths = np.array([30, 17, 1, 25], np.int32)
    labels, label_lengths, scores = ctc_greedy_decode(tf.constant(logits), tf.constant(lengths))
    decoded, _ = tf.nn.ctc_greedy_decoder(tf.transpose(logits, [1, 0, 2]), lengths, blank_index=0)
    expected = tf.sparse.to_dense(decoded[0]).numpy()
    for i in range(4):
        n = int(label_lengths[i])
        row = expected[i] if i < len(expected) else []
        assert labels.numpy()[i, :n].tolist() == [int(x) for x in row if x != 0][:n]
        assert (labels.numpy()[i, n:] == 0).all()
        log_probs = tf.nn.log_softmax(logits[i, : lengths[i]]).numpy()
        np.testing.assert_allclose(scores[i], log_probs.max(axis=-1).sum(), rtol=1e-5)


def test_collapses_repeats_but_keeps_repeats_split_by_blank():
    seq = [1, 1, 0, 1, 2, 2, 0, 0, 3]
    logits = np.full((1, len(seq), 4), -5.0, np.float32)
    logits[0, np.arange(len(seq)), seq] = 5.0
    labels, n, _ = ctc_greedy_decode(tf.constant(logits), tf.constant([len(seq)]))
    assert labels.numpy()[0, : int(n[0])].tolist() == [1, 1, 2, 3]
