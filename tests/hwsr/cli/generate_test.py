import json
import xml.etree.ElementTree as ET

import pytest

from hwsr.alphabet import Alphabet
from hwsr.cli.generate import save_lines
from hwsr.cli.main import main
from hwsr.ink import write_inkml, write_json_ink
from hwsr.testing import random_lines, write_tiny_synthesis_dir


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return write_tiny_synthesis_dir(tmp_path_factory.mktemp("syn"), Alphabet.iam_ondb())


def test_generate_svg_and_png(model_dir, tmp_path):
    svg = tmp_path / "hello.svg"
    assert main(["generate", "Some text, 42!", "--model-dir", str(model_dir), "--seed", "1",
                 "--bias", "0.75", "--out", str(svg)]) == 0
    ET.fromstring(svg.read_text())
    png = tmp_path / "hello.png"
    assert main(["generate", "Some text", "--model-dir", str(model_dir), "--out", str(png)]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"


def test_unknown_characters_give_a_clear_error(model_dir, tmp_path, capsys):
    code = main(["generate", "naïve", "--model-dir", str(model_dir), "--out", str(tmp_path / "x.svg")])
    assert code == 2
    err = capsys.readouterr().err
    assert "'ï'" in err and "Traceback" not in err
    assert main(["generate", "naïve", "--drop-unknown", "--model-dir", str(model_dir),
                 "--out", str(tmp_path / "x.svg")]) == 0


def test_bad_output_format_and_missing_style_text(model_dir, tmp_path, capsys):
    assert main(["generate", "hi", "--model-dir", str(model_dir), "--out", str(tmp_path / "x.gif")]) == 2
    capsys.readouterr()
    strokes, _ = random_lines(1, seed=3)
    write_json_ink(tmp_path / "mine.json", strokes[0])  # No transcription stored.
    assert main(["generate", "hi", "--model-dir", str(model_dir), "--style-file",
                 str(tmp_path / "mine.json"), "--out", str(tmp_path / "x.svg")]) == 2
    err = capsys.readouterr().err
    assert "holds no transcription" in err and "--style-text" in err


def test_style_file_transcription_comes_from_the_file_or_the_flag(model_dir, tmp_path):
    strokes, _ = random_lines(1, seed=3)
    write_json_ink(tmp_path / "mine.json", strokes[0], text="my own words")
    write_json_ink(tmp_path / "bare.json", strokes[0])
    write_inkml(tmp_path / "mine.inkml", strokes[0], text="my own words")
    stored = tmp_path / "stored.svg"
    given = tmp_path / "given.svg"
    common = ["generate", "hi", "--model-dir", str(model_dir), "--seed", "3"]
    assert main([*common, "--style-file", str(tmp_path / "mine.json"), "--out", str(stored)]) == 0
    assert main([*common, "--style-file", str(tmp_path / "bare.json"), "--style-text", "my own words",
                 "--out", str(given)]) == 0
    # Same ink, same text, same seed: the stored transcription primes exactly like the flag.
    assert stored.read_text() == given.read_text()
    inkml = tmp_path / "mine.inkml"
    assert main([*common, "--style-file", str(inkml), "--out", str(tmp_path / "i.svg")]) == 0


def test_list_styles(model_dir, capsys):
    assert main(["generate", "--list-styles", "--model-dir", str(model_dir)]) == 0
    assert json.loads(capsys.readouterr().out) == {"styles": [], "default": None}


def test_plot_window_and_density(model_dir, tmp_path):
    for kind in ("window", "density"):
        out = tmp_path / f"{kind}.png"
        assert main(["plot", "Hello", "--kind", kind, "--model-dir", str(model_dir), "--out", str(out)]) == 0
        assert out.stat().st_size > 1000


def test_stroke_outputs_keep_the_lines_and_their_texts(model_dir, tmp_path):
    import numpy as np

    from hwsr.ink import read_ink, read_page, read_transcription

    texts = ["one two", "three four", "five six"]
    pages = {}
    for ext in (".npz", ".json", ".inkml", ".svg"):
        out = tmp_path / f"page{ext}"
        if ext in (".npz", ".svg"):
            assert main(["generate", "one two three four five six", "--width", "10", "--model-dir",
                         str(model_dir), "--seed", "2", "--out", str(out)]) == 0
        else:  # The same writer, without generating again.
            save_lines([line.strokes for line in pages[".npz"]], str(out), texts=texts)
        pages[ext] = read_page(out)
        assert [line.text for line in pages[ext]] == texts, ext
        assert read_transcription(out) == "\n".join(texts)
        tops = [line.origin[1] for line in pages[ext]]
        assert tops == sorted(tops, reverse=True)  # Written one under another.
        if ext != ".npz":  # A multi-line npz is read a line at a time (index=...).
            assert len(read_ink(out)) == sum(len(line.strokes) for line in pages[ext])
    for ext, lines in pages.items():  # The npz keeps the float32 strokes as generated.
        atol = 0.05 if ext == ".svg" else 1e-4  # SVG keeps 2 decimals of a pixel.
        for line, want in zip(lines, pages[".npz"]):
            np.testing.assert_array_equal(line.strokes[:, 0], want.strokes[:, 0])
            np.testing.assert_allclose(line.strokes[:, 1:], want.strokes[:, 1:], atol=atol)
        # Where the lines lie (the SVG's page starts at its own margin, hence relative to line 0).
        origins = np.array([line.origin for line in lines])
        want = np.array([line.origin for line in pages[".npz"]])
        np.testing.assert_allclose(origins - origins[0], want - want[0], atol=atol)


def test_unconditional_scribble(tmp_path):
    from hwsr.model_dir import write_model_files
    from hwsr.models.synthesis_model import HandwritingSynthesisModel
    from hwsr.strokes import Normalizer

    model = HandwritingSynthesisModel(units=8, num_layers=2, num_mixture_components=3)
    model.build()
    write_model_files(tmp_path / "pred", "unconditional_handwriting", model, Alphabet.iam_ondb(),
                      Normalizer((8.0, 0.0), (40.0, 37.0), 1), {"downsample": 2})
    out = tmp_path / "free.svg"
    assert main(["generate", "--unconditional", "--lines", "2", "--steps", "30", "--model-dir",
                 str(tmp_path / "pred"), "--out", str(out)]) == 0
    assert out.read_text().count("<path") >= 2
    assert main(["generate", "hello", "--unconditional", "--model-dir", str(tmp_path / "pred")]) == 2


def test_default_bias_is_the_api_default(model_dir, tmp_path):
    from hwsr.defaults import DEFAULT_BIAS

    a, b = tmp_path / "default.svg", tmp_path / "explicit.svg"
    assert main(["generate", "hi", "--model-dir", str(model_dir), "--seed", "2", "--out", str(a)]) == 0
    assert main(["generate", "hi", "--model-dir", str(model_dir), "--seed", "2", "--bias", str(DEFAULT_BIAS),
                 "--out", str(b)]) == 0
    assert a.read_text() == b.read_text()
    c = tmp_path / "other.svg"
    assert main(["generate", "hi", "--model-dir", str(model_dir), "--seed", "2", "--bias", "0",
                 "--out", str(c)]) == 0
    assert c.read_text() != a.read_text()


@pytest.mark.parametrize("out, reason", [("{file}/x.svg", "is not a directory"),
                                         ("{folder}", "is a directory")])
def test_an_unwritable_out_is_refused_before_generating(tmp_path, capsys, monkeypatch, out, reason):
    import hwsr.cli.generate as generate

    (tmp_path / "file").write_text("a file, not a folder")
    (tmp_path / "folder.svg").mkdir()
    out = out.format(file=tmp_path / "file", folder=tmp_path / "folder.svg")
    monkeypatch.setattr(generate, "load_synthesizer", lambda *a: pytest.fail("generated first"))
    assert main(["generate", "hi", "--out", out]) == 2
    err = capsys.readouterr().err
    assert f"--out {out}: cannot write there" in err and reason in err
    assert ".tmp" not in err and "Traceback" not in err


def test_candidates_are_checked_by_the_recogniser_and_reported(model_dir, tmp_path, capsys):
    import numpy as np

    out = tmp_path / "page.npz"
    assert main(["generate", "one two three", "--width", "8", "--candidates", "2", "--model-dir",
                 str(model_dir), "--seed", "1", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    # Random weights write nothing legible: every line needs a second round and fails.
    assert "candidates: 2 of 2 line(s) needed a second round, 2 still read(s) badly" in err
    assert "; 12 candidate(s) read back" in err  # None read exactly: 2 lines x 2 x 3 rounds.
    with np.load(out) as z:
        assert [str(t) for t in z["texts"]] == ["one two", "three"]
    assert main(["generate", "hi", "--candidates", "-1", "--model-dir", str(model_dir),
                 "--out", str(tmp_path / "x.svg")]) == 2
    assert "--candidates must be >= 0" in capsys.readouterr().err


def test_free_hand_and_style_choices_are_exclusive(model_dir, tmp_path, capsys):
    out = tmp_path / "free.npz"
    assert main(["generate", "hi", "--model-dir", str(model_dir), "--free-hand", "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["generate", "hi", "--model-dir", str(model_dir), "--free-hand", "--style", "0",
                 "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert "use one of --style, --style-file and --free-hand" in err and "Traceback" not in err
