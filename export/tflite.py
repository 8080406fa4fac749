"""``.tflite`` files that use TFLite builtin ops only (the pip LiteRT runtime has no Flex ops).

    EXPORT_BASE/tflite/
      hwsr_recognition.tflite         signature ``recognize``: strokes [1, N, 3] + length -> labels
      hwsr_recognition.json           alphabet, N, quantisation
      hwsr_synthesis_step.tflite      signature ``decode_step``: one sampling step
      hwsr_synthesis_step.json        alphabet, normaliser, state layout, U, quantisation

Text decoding (recognition) and random sampling (synthesis) run on the host:
`hwsr.export.tflite_sampler` shows how an app drives them.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from hwsr.export.limits import ExportLimits
from hwsr.io_utils import atomic_write_bytes, atomic_write_text
from hwsr.model_dir import SYNTHESIS_TASKS, ModelBundle

QUANTIZATIONS = ("none", "dynamic", "float16")
RECOGNITION_FILE = "hwsr_recognition"
SYNTHESIS_STEP_FILE = "hwsr_synthesis_step"


def convert(bundle: ModelBundle, name: str, fn, signature, quantization: str = "none") -> bytes:
    """Converts one endpoint to a builtin-ops-only flatbuffer.

    Args:
        quantization: ``none`` (float32), ``dynamic`` (int8 weights, float activations) or
            ``float16`` (float16 weights).
    """
    import tensorflow as tf

    from hwsr.export.saved_model import write_archive

    if quantization not in QUANTIZATIONS:
        raise ValueError(f"quantization={quantization!r}: expected one of {QUANTIZATIONS}")
    with tempfile.TemporaryDirectory(prefix="hwsr-tflite-") as tmp:
        write_archive(bundle, {name: (fn, signature)}, tmp)
        converter = tf.lite.TFLiteConverter.from_saved_model(tmp, signature_keys=[name])
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
        if quantization != "none":
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
        if quantization == "float16":
            converter.target_spec.supported_types = [tf.float16]
        return without_lstm_cell_clip(converter.convert())


def without_lstm_cell_clip(data: bytes) -> bytes:
    """Turns off the cell clipping (at 10) the converter gives every fused Keras LSTM.

    Keras' LSTM never clips its cell state, and trained recognisers' cells pass 10 on long
    lines, so the clipped kernel would read them differently from the Python API.
    """
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    lstm = schema.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM
    changed = False
    for subgraph in model.subgraphs:
        for op in subgraph.operators:
            code = model.operatorCodes[op.opcodeIndex]
            if max(code.builtinCode, code.deprecatedBuiltinCode) == lstm and op.builtinOptions.cellClip:
                op.builtinOptions.cellClip = 0.0
                changed = True
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model)) if changed else data


def export_tflite(
    bundle: ModelBundle,
    out_dir: str | os.PathLike,
    limits: ExportLimits | None = None,
    quantization: str = "none",
) -> Path:
    """Writes the ``.tflite`` file (and its JSON sidecar) for a loaded model dir.

    Returns:
        The path of the ``.tflite`` file. A quantised export gets a ``.<quantization>``
        infix (``hwsr_recognition.dynamic.tflite``) so it can sit beside the float one.
    """
    limits = limits or ExportLimits()
    out_dir = Path(out_dir)
    meta = {
        "format": "hwsr.tflite/1",
        "task": bundle.task,
        "quantization": quantization,
        "alphabet": bundle.alphabet.to_dict(),
    }
    if bundle.task in SYNTHESIS_TASKS:
        from hwsr.export.synthesis import state_layout, tflite_decode_step_function

        fn, signature = tflite_decode_step_function(bundle, limits)
        name, base = "decode_step", SYNTHESIS_STEP_FILE
        meta.update({
            "signature": name,
            "text_length": limits.tflite_text_length,
            "state_layout": state_layout(bundle.model),
            "normalizer": bundle.normalizer.to_dict(),
            "preprocessing": bundle.preprocessing,
            "max_steps": limits.max_steps,
        })
    else:
        from hwsr.export.recognition import tflite_recognize_function

        fn, signature = tflite_recognize_function(bundle, limits)
        name, base = "recognize", RECOGNITION_FILE
        meta.update({"signature": name, "points": limits.tflite_points})
    stem = base if quantization == "none" else f"{base}.{quantization}"
    data = convert(bundle, name, fn, signature, quantization)
    path = out_dir / f"{stem}.tflite"
    atomic_write_bytes(path, data)
    atomic_write_text(out_dir / f"{stem}.json", json.dumps(meta, indent=2, ensure_ascii=False) + "\n")
    return path
