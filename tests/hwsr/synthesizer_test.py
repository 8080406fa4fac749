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


def write_style(model_dir, style: int, strokes, text: str) -> None:
    """A bundled style as `scripts/make_styles.py` writes it (strokes at the model's density)."""
    (model_dir / "styles").mkdir(exist_ok=True)
    np.savez(model_dir / "styles" / f"style-{style}.npz", strokes=strokes, text=np.array(text))


def test_the_default_style_is_the_one_the_model_dir_names(tmp_path, synthetic_strokes):
    import json

    from hwsr.synthesizer import DEFAULT_STYLE_FILE

    path = write_tiny_synthesis_dir(tmp_path / "syn", Alphabet.iam_ondb())
    synth = Synthesizer.from_dir(path)
    assert synth.default_style is None  # no styles: the default is the free hand
    np.testing.assert_array_equal(synth.generate("abc", seed=2)[0],
                                  synth.generate("abc", seed=2, style="free")[0])
    np.testing.assert_array_equal(synth.generate("abc", seed=2, style=None)[0],
                                  synth.generate("abc", seed=2, style="free")[0])

    write_style(path, 0, synthetic_strokes, "oil")
    write_style(path, 1, synthetic_strokes[::-1].copy(), "lio")
    # The default is read once per Synthesizer: load the dir again after each change to it.
    assert Synthesizer.from_dir(path).default_style is None  # styles, but none named the default
    (path / "styles" / DEFAULT_STYLE_FILE).write_text(json.dumps({"style": 1}))
    synth = Synthesizer.from_dir(path)
    assert synth.default_style == 1
    default = synth.generate("abc", seed=2)[0]
    np.testing.assert_array_equal(default, synth.generate("abc", seed=2, style=1)[0])
    np.testing.assert_array_equal(default, synth.generate("abc", seed=2, style="default")[0])
    free = synth.generate("abc", seed=2, style="free")[0]
    assert free.shape != default.shape or not np.allclose(free, default)

    with pytest.raises(ValueError, match="'neat'"):
        synth.generate("abc", style="neat")
    (path / "styles" / DEFAULT_STYLE_FILE).write_text(json.dumps({"style": 7}))
    with pytest.raises(ModelDirError, match="names style 7"):
        Synthesizer.from_dir(path).generate("abc")
    (path / "styles" / DEFAULT_STYLE_FILE).write_text("{not json")
    with pytest.raises(ModelDirError, match="not a default style file"):
        _ = Synthesizer.from_dir(path).default_style


def test_the_shipped_model_writes_in_its_most_legible_style_by_default():
    import json

    synth = Synthesizer.from_pretrained()
    record = json.loads((synth.style_dir / "default.json").read_text())
    assert synth.default_style == record["style"] == 0
    # The record holds the measurement the choice was made on: it beat the free hand.
    mean = {k: np.mean([r["cer"] for r in rows]) for k, rows in record["results"].items()}
    assert min(mean, key=mean.get) == "0" and mean["0"] < mean["free"]
