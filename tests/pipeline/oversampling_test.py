"""Tests for pipeline/oversampling.py (imported as hwsr.pipeline.oversampling)."""

from __future__ import annotations

import numpy as np
import pytest

from hwsr.alphabet import Alphabet
from hwsr.pipeline.configs import ConfigError, resolve_config
from hwsr.pipeline.examples import Examples
from hwsr.pipeline.oversampling import oversample, rare_line_repeats
from hwsr.pipeline.tasks import get_task

ALPHABET = Alphabet.iam_ondb()
TEXTS = ["the cat sat"] * 40 + ["the dog sat"] * 4 + ["Call 555"]


def _codes(texts):
    return [ALPHABET.encode(t) for t in texts]


def test_rarer_characters_give_more_repeats_up_to_the_cap():
    repeats = rare_line_repeats(_codes(TEXTS), power=1.0, threshold=40, max_repeats=8)
    assert list(repeats[:40]) == [1] * 40  # Every character seen >= 40 times.
    assert list(repeats[40:44]) == [8] * 4  # "d", "o", "g" 4 times: 40 / 4 = 10, capped at 8.
    assert repeats[44] == 8  # "C", "l", "5" once each.
    weaker = rare_line_repeats(_codes(TEXTS), power=0.5, threshold=40, max_repeats=8)
    assert weaker[40] == 3 and weaker[0] == 1  # round(10 ** 0.5)


def test_power_zero_keeps_every_line_once_and_padding_is_not_a_character():
    codes = _codes(TEXTS)
    assert list(rare_line_repeats(codes, power=0.0)) == [1] * len(codes)
    padded = [np.concatenate([c, np.zeros(30, c.dtype)]) for c in codes]
    assert list(rare_line_repeats(padded, 1.0, 40)) == list(rare_line_repeats(codes, 1.0, 40))


@pytest.mark.parametrize("args", [(-1.0, 500, 8), (1.0, 0, 8), (1.0, 500, 0)])
def test_bad_arguments_name_the_problem(args):
    with pytest.raises(ValueError, match="power >= 0"):
        rare_line_repeats(_codes(TEXTS), *args)


def test_oversample_repeats_the_lines_it_is_told_to():
    strokes = [np.full((3, 3), i, np.float32) for i in range(3)]
    examples = Examples(strokes, _codes(["a", "b", "c"]), ["x-1", "x-2", "x-3"])
    out = oversample(examples, [1, 3, 0])
    assert out.line_ids == ["x-1", "x-2", "x-2", "x-2"]
    assert [float(s[0, 0]) for s in out.strokes] == [0.0, 1.0, 1.0, 1.0]
    with pytest.raises(ValueError, match="2 repeat counts for 3 examples"):
        oversample(examples, [1, 1])


def test_the_task_oversamples_training_lines_only():
    strokes = [np.zeros((5, 3), np.float32) for _ in TEXTS]
    examples = Examples(strokes, _codes(TEXTS), [f"a01-000u-{i:02d}" for i in range(len(TEXTS))])
    cfg = resolve_config("conditional_handwriting", "tiny",
                         ["data.rare_char_power=1", "data.rare_char_threshold=40"])
    task = get_task(cfg)
    train = task.examples_dataset(examples, training=True, seed=0)
    validation = task.examples_dataset(examples, training=False, seed=0)
    assert int(train.cardinality()) == 40 + 4 * 8 + 8
    assert int(validation.cardinality()) == len(TEXTS)


def test_config_refuses_a_negative_power():
    with pytest.raises(ConfigError, match=r"data\.rare_char_power must be >= 0"):
        resolve_config("recognition", "tiny", ["data.rare_char_power=-1"])
