"""One validation of sampling arguments, the same from the API, the CLI and the TFLite host."""

import numpy as np
import pytest

from hwsr.inference.sampling_args import (
    SamplingArgumentError,
    check_sampling_args,
    check_text,
    seed_pair,
)

BAD = [
    (dict(bias=float("nan")), "bias must be a finite number"),
    (dict(bias=float("inf")), "bias must be a finite number"),
    (dict(bias=-1.0), "bias must be between 0 and 10"),
    (dict(bias=10.5), "bias must be between 0 and 10"),
    (dict(bias="1"), "bias must be a number"),
    (dict(temperature=0.0), "temperature must be greater than 0"),
    (dict(temperature=-1.0), "temperature must be greater than 0"),
    (dict(temperature=float("nan")), "temperature must be a finite number"),
    (dict(seed=2**40), "seed must be between -2147483648 and 2147483647"),
    (dict(seed=1.5), "seed must be an integer"),
    (dict(seed=True), "seed must be an integer"),
    (dict(max_steps=0), "max_steps must be between 1"),
    (dict(max_steps=-5), "max_steps must be between 1"),
    (dict(max_steps=10**10), "max_steps must be between 1 and 2147483647"),
    (dict(max_steps=1e10), "max_steps must be an integer"),
]


@pytest.mark.parametrize("kwargs,message", BAD)
def test_bad_values_are_one_line_value_errors(kwargs, message):
    with pytest.raises(SamplingArgumentError, match=message) as info:
        check_sampling_args(**kwargs)
    assert isinstance(info.value, ValueError) and "\n" not in str(info.value)


def test_good_values_come_back_as_python_numbers():
    out = check_sampling_args(bias=np.float32(0.5), temperature=1, seed=np.int64(-3), max_steps=np.int32(7))
    assert out == {"bias": 0.5, "temperature": 1.0, "seed": -3, "max_steps": 7}
    assert check_sampling_args() == {}


def test_text_checks():
    assert check_text("hi", 5) == "hi"
    with pytest.raises(SamplingArgumentError, match="empty"):
        check_text("  ", 5)
    with pytest.raises(SamplingArgumentError, match=r"too long.*limit of 5 characters"):
        check_text("abcdef", 5)


def test_seed_pair_masks_to_31_bits_like_every_sampler():
    assert seed_pair(3).tolist() == [3, 0x5EED]
    assert seed_pair(-1).tolist() == [2**31 - 1, 0x5EED]


@pytest.fixture(scope="module")
def synth(tmp_path_factory):
    from hwsr.model_dir import load_model_dir
    from hwsr.synthesizer import Synthesizer
    from hwsr.testing import write_tiny_synthesis_dir

    return Synthesizer(load_model_dir(write_tiny_synthesis_dir(tmp_path_factory.mktemp("syn"))))


@pytest.mark.parametrize("kwargs,message", BAD[:3] + BAD[5:7] + BAD[8:10] + BAD[11:12])
def test_synthesizer_generate_validates_before_sampling(synth, kwargs, message):
    with pytest.raises(SamplingArgumentError, match=message):
        synth.generate("ab", **kwargs)


def test_scribble_validates(tmp_path):
    from hwsr.synthesizer import scribble

    with pytest.raises(SamplingArgumentError, match="bias"):
        scribble(None, bias=float("nan"))
    with pytest.raises(SamplingArgumentError, match="max_steps"):
        scribble(None, steps=0)


@pytest.mark.parametrize("flag,value,message", [
    ("--bias", "nan", "bias must be a finite number"),
    ("--bias", "-1", "bias must be between 0 and 10"),
    ("--temperature", "0", "temperature must be greater than 0"),
    ("--seed", str(2**40), "seed must be between"),
])
def test_hwsr_generate_reports_one_line_and_exit_2(flag, value, message, tmp_path, capsys):
    from hwsr.cli.main import main

    assert main(["generate", "hi", flag, value, "--out", str(tmp_path / "x.svg")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0] and "Traceback" not in err[0]
    assert not (tmp_path / "x.svg").exists()
