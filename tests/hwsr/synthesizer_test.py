import numpy as np
import pytest

from hwsr.alphabet import Alphabet, UnknownCharacterError
from hwsr.model_dir import ModelDirError
from hwsr.synthesizer import Synthesizer, wrap_text
from hwsr.testing import write_tiny_synthesis_dir


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    # The default (unknown="error") alphabet, so that unknown characters raise.
    return Synthesizer.from_dir(write_tiny_synthesis_dir(tmp_path_factory.mktemp("syn"), Alphabet.iam_ondb()))


def test_generate_returns_raw_unit_lines(synth):
    lines = synth.generate(["Hi there", "A, B; 12!"], seed=3)
    assert len(lines) == 2
    for line in lines:
        assert line.dtype == np.float32 and line.shape[1] == 3
        assert line[-1, 0] == 1.0
        assert set(np.unique(line[:, 0])) <= {0.0, 1.0}


def test_same_seed_same_output(synth):
    a = synth.generate("Hello", seed=9)
    b = synth.generate("Hello", seed=9)
    np.testing.assert_array_equal(a[0], b[0])


def test_unknown_characters_are_listed_or_dropped(synth):
    with pytest.raises(UnknownCharacterError, match="'é'"):
        synth.generate(["café au lait"])
    assert len(synth.generate(["café"], unknown="drop")) == 1


def test_write_wraps_long_text_into_lines(synth):
    text = "one two three four five six seven eight nine ten eleven twelve"
    assert wrap_text(text, 20) == ["one two three four", "five six seven eight", "nine ten eleven", "twelve"]
    assert len(synth.write(text, width=20, seed=1)) == 4


def test_style_from_user_strokes(synth, synthetic_strokes):
    primed = synth.generate("abc", seed=1, style=(synthetic_strokes, "oil"))
    assert len(primed) == 1
    again = synth.generate("abc", seed=1, style=(synthetic_strokes, "oil"))
    np.testing.assert_array_equal(primed[0], again[0])
    # The priming state changes what is written: not the unprimed line, nor another writer's.
    plain = synth.generate("abc", seed=1)[0]
    other = synth.generate("abc", seed=1, style=(synthetic_strokes[::-1].copy(), "lio"))[0]
    for line in (plain, other):
        assert line.shape != primed[0].shape or not np.allclose(line, primed[0])


def test_empty_and_overlong_text_rejected(synth):
    with pytest.raises(ValueError, match="empty"):
        synth.generate(["   "])
    with pytest.raises(ValueError, match="too long"):
        synth.generate(["x" * 500])


def test_wrong_task_and_missing_model(tmp_path):
    with pytest.raises(ModelDirError):
        Synthesizer.from_dir(tmp_path / "nothing")
