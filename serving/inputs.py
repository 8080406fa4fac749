"""Typed request inputs: the checks the REST and gRPC front ends of `hwsr serve` share.

Every value a client sends becomes the signature's dtype only if it fits it (no silent
truncation of ``1.5`` to ``1``, no overflow of ``2**40`` in int32), and the synthesis inputs
go through the one validation of sampling arguments (`hwsr.inference.sampling_args`), so
that every bad value is a 400 / ``INVALID_ARGUMENT`` answer naming it, never a 500.
"""

from __future__ import annotations

import numpy as np

from hwsr.inference.sampling_args import (
    SamplingArgumentError,
    check_bias,
    check_max_steps,
    check_seed,
    check_text,
)

#: The inputs of the synthesis signatures that `check_sampling_inputs` validates.
SAMPLING_INPUTS = ("text", "bias", "seed", "max_steps")


class InputError(ValueError):
    """An input value that does not fit the signature (answered with HTTP 400)."""


def cast_input(value, dtype, name: str) -> np.ndarray:
    """``value`` as a numpy array of ``dtype`` (a numpy dtype, or ``object`` for strings).

    Integers must be integers (not floats or booleans) inside the dtype's range; floats
    accept any real number (out-of-range values become infinite and are caught by the
    finiteness checks downstream).

    Raises:
        InputError: naming the input and the problem.
    """
    try:
        array = np.asarray(value)
    except (TypeError, ValueError, RecursionError) as e:
        raise InputError(f"input {name!r}: expected values of one rectangular shape ({e})") from None
    if dtype is object or np.dtype(dtype).kind in "OSU":
        if array.dtype.kind not in "OSU" and array.size:
            raise InputError(f"input {name!r}: expected strings, got {array.dtype.name} values")
        return array.astype(object)
    dtype = np.dtype(dtype)
    kind = array.dtype.kind
    if array.size == 0:
        return array.astype(dtype)
    if dtype.kind in "iu":
        if kind == "O":  # Python ints beyond int64, or mixed types.
            if not all(isinstance(v, int) and not isinstance(v, bool) for v in array.ravel()):
                raise InputError(f"input {name!r}: expected integers")
            raise InputError(f"input {name!r}: integers must be between {np.iinfo(dtype).min} and "
                             f"{np.iinfo(dtype).max}")
        if kind not in "iu":
            raise InputError(f"input {name!r}: expected integers, got {array.dtype.name} values "
                             f"such as {array.ravel()[0].item()!r}")
        info = np.iinfo(dtype)
        if array.min() < info.min or array.max() > info.max:
            raise InputError(f"input {name!r}: integers must be between {info.min} and {info.max}; "
                             f"got {array.max() if array.max() > info.max else array.min()}")
        return array.astype(dtype)
    if kind not in "iuf":
        raise InputError(f"input {name!r}: expected numbers, got {array.dtype.name} values")
    with np.errstate(over="ignore"):
        return array.astype(dtype)


def check_sampling_inputs(inputs: dict, max_text_length: int) -> None:
    """Row by row: text, bias, seed and max steps of a synthesis request.

    Raises:
        InputError: with the message of `hwsr.inference.sampling_args` and the line index.
    """
    if not set(SAMPLING_INPUTS) <= set(inputs):
        return
    rows = len(np.ravel(inputs["text"]))
    for key in SAMPLING_INPUTS[1:]:
        if len(np.ravel(inputs[key])) != rows:
            raise InputError("text, bias, seed and max_steps must have one entry per line")
    columns = {k: np.ravel(inputs[k]) for k in SAMPLING_INPUTS}
    for i in range(rows):
        text = columns["text"][i]
        text = text if isinstance(text, str) else bytes(text).decode("utf-8", "replace")
        try:
            check_text(text, max_text_length)
            check_bias(float(columns["bias"][i]))
            check_seed(int(columns["seed"][i]))
            check_max_steps(int(columns["max_steps"][i]))
        except SamplingArgumentError as e:
            raise InputError(f"{e} (line {i})" if rows > 1 else str(e)) from None
