"""TF Serving warmup records: ``assets.extra/tf_serving_warmup_requests``.

TF Serving replays these ``PredictionLog`` records when it loads a version, so that the
first real request does not pay for graph initialisation. Needs ``tensorflow-serving-api``
(``pip install --no-deps -r requirements-serving.txt``).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import tensorflow as tf

WARMUP_FILE = "tf_serving_warmup_requests"
ASSETS_EXTRA = "assets.extra"


def _serving_protos():
    try:
        from tensorflow_serving.apis import model_pb2, predict_pb2, prediction_log_pb2
    except ImportError as e:
        raise ImportError(
            "writing TF Serving warmup requests needs tensorflow-serving-api; install it with "
            "'pip install --no-deps -r requirements-serving.txt' (or export with --no-warmup)"
        ) from e
    return model_pb2, predict_pb2, prediction_log_pb2


def predict_log(model_name: str, signature_name: str, inputs: dict[str, np.ndarray]):
    """A ``PredictionLog`` holding one ``PredictRequest``."""
    model_pb2, predict_pb2, prediction_log_pb2 = _serving_protos()
    request = predict_pb2.PredictRequest(
        model_spec=model_pb2.ModelSpec(name=model_name, signature_name=signature_name)
    )
    for key, value in inputs.items():
        request.inputs[key].CopyFrom(tf.make_tensor_proto(value))
    return prediction_log_pb2.PredictionLog(
        predict_log=prediction_log_pb2.PredictLog(request=request)
    )


def write_warmup_file(saved_model_dir: str | os.PathLike, logs) -> Path:
    """Writes the records into ``saved_model_dir/assets.extra/`` (call before the version
    directory is published)."""
    path = Path(saved_model_dir) / ASSETS_EXTRA / WARMUP_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with tf.io.TFRecordWriter(str(path)) as writer:
        for log in logs:
            writer.write(log.SerializeToString())
    return path


def read_warmup_file(path: str | os.PathLike) -> list:
    """Parses a warmup file back into ``PredictionLog`` messages."""
    _, _, prediction_log_pb2 = _serving_protos()
    logs = []
    for record in tf.data.TFRecordDataset(str(path)):
        log = prediction_log_pb2.PredictionLog()
        log.ParseFromString(record.numpy())
        logs.append(log)
    return logs


def demo_ink(points: int = 120) -> np.ndarray:
    """A made-up cursive-like line (``[points, 3]`` raw units) for warmup and examples."""
    t = np.linspace(0.0, 6.0 * np.pi, points)
    xy = np.stack([4.0 * t + 6.0 * np.cos(t), 12.0 * np.sin(t)], axis=1)
    strokes = np.zeros((points, 3), np.float32)
    strokes[1:, 1:] = np.diff(xy, axis=0)
    strokes[points // 2 - 1, 0] = 1.0
    strokes[-1, 0] = 1.0
    return strokes


def synthesis_warmup(model_name: str, max_steps: int) -> list:
    steps = np.array([min(300, max_steps)] * 2, np.int32)
    ink = demo_ink(60)
    return [
        predict_log(model_name, "serving_default", {
            "text": np.array([b"hello world", b"The quick brown fox"], dtype=object),
            "bias": np.array([0.5, 0.5], np.float32),
            "seed": np.array([0, 0], np.int32),
            "max_steps": steps,
        }),
        predict_log(model_name, "synthesize_primed", {
            "text": np.array([b"handwriting"], dtype=object),
            "bias": np.array([0.5], np.float32),
            "seed": np.array([1], np.int32),
            "max_steps": steps[:1],
            "prime_strokes": ink[np.newaxis],
            "prime_lengths": np.array([len(ink)], np.int32),
            "prime_text": np.array([b"ink"], dtype=object),
        }),
    ]


def recognition_warmup(model_name: str) -> list:
    ink = demo_ink(240)
    batch = np.stack([ink, ink * np.array([1.0, 0.7, 0.7], np.float32)])
    inputs = {"strokes": batch, "lengths": np.array([240, 180], np.int32)}
    return [predict_log(model_name, "serving_default", inputs)]
