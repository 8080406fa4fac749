"""Tests for hwsr/alphabet.py."""

from __future__ import annotations

import json

import numpy as np
import pytest

from hwsr.alphabet import IAM_ONDB_CHARACTERS, Alphabet, UnknownCharacterError


def test_iam_ondb_alphabet_has_the_81_documented_characters():
    alphabet = Alphabet.iam_ondb()
    assert len(alphabet.characters) == 81
    assert len(set(IAM_ONDB_CHARACTERS)) == 81
    assert len(alphabet) == alphabet.size == 81 + Alphabet.NUM_RESERVED
    assert all(c.isascii() for c in IAM_ONDB_CHARACTERS)


def test_codes_start_after_the_reserved_ones():
    alphabet = Alphabet("ab")
    np.testing.assert_array_equal(alphabet.encode("abba"), [2, 3, 3, 2])
    assert alphabet.encode("ab").dtype == np.int32
    assert Alphabet.PAD == 0 and Alphabet.UNKNOWN == 1


def test_encode_decode_round_trip_of_every_character():
    alphabet = Alphabet.iam_ondb()
    text = IAM_ONDB_CHARACTERS[::-1] + "A MOVE to stop Mr . Gaitskell"
    assert alphabet.decode(alphabet.encode(text)) == text


def test_decode_skips_padding_and_marks_unknown_codes():
    alphabet = Alphabet("ab")
    assert alphabet.decode([2, 0, 3, 0, 0]) == "ab"
    assert alphabet.decode(np.array([[2, 1, 99, -5]])) == "a" + "\ufffd" * 3
    assert alphabet.decode([]) == ""


def test_unknown_error_policy_names_the_character_position_and_source():
    alphabet = Alphabet("abc ")
    with pytest.raises(UnknownCharacterError) as info:
        alphabet.encode("ab é", source="sentences.txt:3")
    message = str(info.value)
    assert "sentences.txt:3" in message
    assert "'é'" in message
    assert "character 4" in message
    assert info.value.unknown == [(3, "é")]


def test_unknown_drop_and_map_policies():
    alphabet = Alphabet("ab", unknown="drop")
    np.testing.assert_array_equal(alphabet.encode("axb"), [2, 3])
    np.testing.assert_array_equal(alphabet.encode("axb", unknown="map"), [2, Alphabet.UNKNOWN, 3])
    assert alphabet.clean("axb") == "ab"
    with pytest.raises(UnknownCharacterError):
        alphabet.encode("axb", unknown="error")
    with pytest.raises(ValueError, match="expected one of"):
        alphabet.encode("a", unknown="ignore")


def test_constructor_rejects_bad_alphabets():
    with pytest.raises(ValueError, match="appears twice"):
        Alphabet("abca")
    with pytest.raises(ValueError, match="at least one"):
        Alphabet("")
    with pytest.raises(ValueError, match="expected one of"):
        Alphabet("ab", unknown="skip")


def test_encode_batch_pads_and_truncates():
    alphabet = Alphabet("abc")
    batch = alphabet.encode_batch(["a", "abc", ""])
    np.testing.assert_array_equal(batch, [[2, 0, 0], [2, 3, 4], [0, 0, 0]])
    assert batch.dtype == np.int32
    np.testing.assert_array_equal(alphabet.encode_batch(["abc"], length=2), [[2, 3]])
    np.testing.assert_array_equal(alphabet.encode_batch(["a"], length=3), [[2, 0, 0]])


def test_membership_equality_and_subset():
    alphabet = Alphabet.iam_ondb()
    assert "a" in alphabet and "é" not in alphabet
    assert alphabet == Alphabet(IAM_ONDB_CHARACTERS)
    assert hash(alphabet) == hash(Alphabet(IAM_ONDB_CHARACTERS))
    assert alphabet != Alphabet("ab")
    sub = alphabet.subset("cba ")
    assert sub.characters == " abc"  # The parent's order is kept.
    with pytest.raises(ValueError, match="not in this alphabet"):
        alphabet.subset("aé")


def test_json_save_load_round_trip(tmp_path):
    alphabet = Alphabet("ab é\"", unknown="map")
    path = tmp_path / "sub" / "alphabet.json"
    alphabet.save(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["characters"] == "ab é\""
    assert data["reserved"] == {"pad": 0, "unknown": 1}
    loaded = Alphabet.load(path)
    assert loaded == alphabet
    assert loaded.unknown == "map"
    np.testing.assert_array_equal(loaded.encode("é?"), alphabet.encode("é?"))
    assert not list(path.parent.glob("*.tmp"))  # The atomic write left no temporary file.


def test_load_rejects_bad_files_naming_them(tmp_path):
    bad_json = tmp_path / "broken.json"
    bad_json.write_text('{"characters": "ab"', encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken\.json: not valid JSON"):
        Alphabet.load(bad_json)
    no_chars = tmp_path / "other.json"
    no_chars.write_text('{"format": "something else"}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"other\.json: not an hwsr alphabet"):
        Alphabet.load(no_chars)
    duplicated = tmp_path / "dup.json"
    duplicated.write_text('{"characters": "aa"}', encoding="utf-8")
    with pytest.raises(ValueError, match=r"dup\.json: .*appears twice"):
        Alphabet.load(duplicated)


def test_real_transcriptions_encode_without_unknowns(shared_data):
    alphabet = Alphabet.iam_ondb()
    lines = (shared_data / "iam_ondb_lines" / "sentences.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) > 10_000
    used = set("".join(lines))
    assert used <= set(alphabet.characters)
    for line in lines[:200]:
        assert alphabet.decode(alphabet.encode(line)) == line
