"""Tests for scripts/make_gallery.py (tiny random-weight models: checks the plumbing)."""

import numpy as np
import pytest
from PIL import Image

from hwsr.testing import write_tiny_recognition_dir, write_tiny_synthesis_dir


@pytest.fixture(scope="module")
def gallery(load_script):
    return load_script("scripts/make_gallery.py")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return (write_tiny_synthesis_dir(root / "syn"), write_tiny_recognition_dir(root / "rec"))


def test_gallery_draws_every_image_and_fills_the_readme(gallery, models, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n\n## Gallery\n\n<!-- gallery:start -->\nold\n<!-- gallery:end -->\n"
                      "\n## Next\n")
    syn, rec = models
    assert gallery.main(["--out", str(tmp_path / "docs" / "gallery"), "--readme", str(readme),
                         "--synthesis", str(syn), "--recognition", str(rec)]) == 0
    images = sorted(p.name for p in (tmp_path / "docs" / "gallery").glob("*.png"))
    # The tiny synthesis dir has no bundled styles, so styles.png is left out.
    assert images == ["bias.png", "density.png", "digits.png", "letter.png", "paragraph.png", "sentence.png",
                      "unconditional.png", "window.png"]
    for name in images:
        pixels = np.asarray(Image.open(tmp_path / "docs" / "gallery" / name).convert("L"))
        assert pixels.min() < 128 < pixels.max(), f"{name} is blank"
    text = readme.read_text()
    assert "old" not in text and text.startswith("# Title") and text.endswith("## Next\n")
    for name in images:
        assert f"](docs/gallery/{name})" in text
    assert text.count("read back: ") == 5  # sentence, bias, paragraph, digits, letter
    assert "needed a second round" in text


def test_readme_without_markers_is_an_error(gallery, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# no gallery here\n")
    with pytest.raises(SystemExit, match="no <!-- gallery:start -->"):
        gallery.update_readme(readme, "block")
    assert readme.read_text() == "# no gallery here\n"
