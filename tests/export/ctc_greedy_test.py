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


def test_ctc_log_likelihood_of_the_graph_equals_the_recognizers():
    """The SavedModel's score (sparse labels, TensorFlow's fused CTC kernel) is the host's
    `hwsr.decoding.ctc_log_likelihood`, for readings of every length, the empty one too."""
    from hwsr.decoding import ctc_log_likelihood as host_log_likelihood
    from hwsr.export.recognition import ctc_log_likelihood

    rng = np.random.default_rng(3)
    logits = rng.normal(size=(3, 9, 6)).astype(np.float32)
    lengths = np.array([9, 7, 5], np.int32)
    codes = [[2, 3, 3, 5], [], [4]]
    labels = np.zeros([3, 4], np.int32)
    for i, c in enumerate(codes):
        labels[i, : len(c)] = c
    labels[2, 3] = 5  # past the label's length: ignored
    got = ctc_log_likelihood(tf.constant(labels), tf.constant([4, 0, 1]), tf.constant(logits),
                             tf.constant(lengths)).numpy()
    np.testing.assert_allclose(got, host_log_likelihood(logits, lengths, codes), rtol=1e-5)
