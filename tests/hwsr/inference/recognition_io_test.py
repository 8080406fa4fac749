"""One stroke preparation and one padding helper for every recognition path."""

import numpy as np
import pytest

from hwsr.inference.recognition_io import pad_lines, prepare_line, prepare_lines


def test_prepare_moves_row_zero_to_the_origin_and_validates():
    line = prepare_line([[0, 5, 6], [1, 1, 2]])
    assert line.dtype == np.float32 and line.tolist() == [[0, 0, 0], [1, 1, 2]]
    with pytest.raises(ValueError, match="line 1"):
        prepare_lines([[[0, 1, 2]], [[0.5, 1, 2]]])
    with pytest.raises(ValueError, match="no lines"):
        prepare_lines([])


def test_pad_lines_zero_pads_to_the_longest_or_a_fixed_length():
    batch, lengths = pad_lines([np.ones((2, 3)), np.ones((1, 3))])
    assert batch.shape == (2, 2, 3) and lengths.tolist() == [2, 1] and batch[1, 1].sum() == 0
    batch, _ = pad_lines([np.ones((2, 3))], length=5)
    assert batch.shape == (1, 5, 3)
    with pytest.raises(ValueError, match="does not fit"):
        pad_lines([np.ones((6, 3))], length=5)
