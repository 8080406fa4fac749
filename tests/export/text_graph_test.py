import numpy as np
import pytest
import tensorflow as tf

from hwsr.alphabet import Alphabet
from hwsr.export.text_graph import decode_labels, encode_text


def test_encode_matches_the_python_alphabet():
    alphabet = Alphabet.iam_ondb()
    texts = ["Hello, world!", "a", ""]
    codes, lengths = encode_text(tf.constant(texts), alphabet, 50)
    assert lengths.numpy().tolist() == [13, 1, 0]
    np.testing.assert_array_equal(codes.numpy(), alphabet.encode_batch(texts))


def test_decode_round_trip_and_unknown_codes():
    alphabet = Alphabet.iam_ondb()
    codes = alphabet.encode_batch(["Hi there", "ok"])
    out = decode_labels(tf.constant(codes), alphabet).numpy()
    assert [t.decode() for t in out] == ["Hi there", "ok"]
    out = decode_labels(tf.constant([[1, 500, 2]]), alphabet).numpy()
    assert out[0].decode() == "\ufffd\ufffd "


@pytest.mark.parametrize("policy,expected", [("drop", [3, 3]), ("map", [3, 1, 3])])
def test_unknown_policies(policy, expected):
    alphabet = Alphabet.iam_ondb(unknown=policy)
    codes, lengths = encode_text(tf.constant(["!é!"]), alphabet, 10)
    assert codes.numpy()[0, : lengths.numpy()[0]].tolist() == expected


def test_error_policy_and_length_limit_reject_with_clear_messages():
    with pytest.raises(tf.errors.InvalidArgumentError, match="not in the model's alphabet"):
        encode_text(tf.constant(["abc€"]), Alphabet.iam_ondb(unknown="error"), 10)
    with pytest.raises(tf.errors.InvalidArgumentError, match="limit of 5 characters"):
        encode_text(tf.constant(["abcdef"]), Alphabet.iam_ondb(), 5)


def test_invalid_utf8_counts_as_unknown():
    codes, _ = encode_text(tf.constant([b"a\xffb"]), Alphabet.iam_ondb(unknown="drop"), 10)
    assert Alphabet.iam_ondb().decode(codes.numpy()[0]) == "ab"
