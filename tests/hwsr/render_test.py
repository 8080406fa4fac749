import xml.etree.ElementTree as ET

import numpy as np
import pytest

from hwsr import render
from hwsr.strokes import to_stroke_list


def test_svg_has_one_path_per_stroke_and_options(synthetic_strokes):
    svg = render.to_svg(synthetic_strokes, stroke_width=3.5, color="#123456")
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    paths = root.findall(f".//{ns}path")
    assert len(paths) == len(to_stroke_list(synthetic_strokes)) == 3
    group = root.find(f"{ns}g")
    assert group.get("stroke") == "#123456" and group.get("stroke-width") == "3.5"


def test_page_layout_stacks_lines_top_down(synthetic_strokes):
    page = render.layout_page([synthetic_strokes, synthetic_strokes])
    top = np.concatenate(page[0])[:, 1].mean()
    bottom = np.concatenate(page[1])[:, 1].mean()
    assert top > bottom  # y up: the first line is higher


def test_png_and_image(tmp_path, synthetic_strokes):
    image = render.to_image(synthetic_strokes, height=40)
    assert image.dtype == np.uint8 and image.min() == 0 and image.max() == 255
    path = tmp_path / "x.png"
    render.save([synthetic_strokes], path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_unknown_extension_is_an_error(tmp_path, synthetic_strokes):
    with pytest.raises(ValueError, match="format"):
        render.save(synthetic_strokes, tmp_path / "x.gif")
