"""The exported models a local server holds, and one bounded ``predict`` for its front ends."""

from __future__ import annotations

import dataclasses
import os
import re
import threading
from pathlib import Path

from hwsr.export.limits import ExportLimits
from hwsr.export.saved_model import read_metadata, versions
from hwsr.serving.inputs import InputError, cast_input, check_sampling_inputs


@dataclasses.dataclass(frozen=True)
class ServerLimits:
    """Bounds of the local server on top of those inside the exported graphs.

    Args:
        max_body_bytes: largest request body (REST) or message (gRPC).
        max_concurrent: model calls running at once; further requests wait their turn.
        queue_timeout: seconds a request may wait for its turn before a 503 answer.
    """

    max_body_bytes: int = 16 * 1024 * 1024
    max_concurrent: int = 2
    queue_timeout: float = 60.0


class RequestError(Exception):
    """A request the server refuses; ``status`` is the HTTP code (mapped to gRPC codes)."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def graph_error_message(error: Exception) -> str:
    """The useful line of a TensorFlow runtime error (the assertion text, not the node dump)."""
    text = str(getattr(error, "message", error))
    match = re.search(r"assertion failed: (.*)", text)
    if match:
        return re.sub(r"\]\s*\[", " ", match.group(1)).strip("[] ")
    lines = [ln.strip() for ln in text.splitlines()
             if ln.strip() and not ln.strip().startswith(("Graph execution error", "Detected at", "[[", "<"))]
    return lines[0] if lines else text


@dataclasses.dataclass
class ServedModel:
    name: str
    version: int
    path: Path
    module: object
    metadata: dict
    limits: ExportLimits

    @property
    def signatures(self) -> dict:
        return self.module.signatures

    def input_specs(self, signature_name: str) -> dict:
        return dict(self.signatures[signature_name].structured_input_signature[1])


class ModelRegistry:
    """Loads the latest version of every model under an export base (like TF Serving's
    default version policy) and runs requests on them with bounded work.

    Args:
        export_base: the directory `hwsr export --out` wrote.
        names: only these models (default: every model directory found).
        limits: server bounds.
    """

    def __init__(self, export_base: str | os.PathLike, names=None, limits: ServerLimits | None = None):
        import tensorflow as tf

        self.export_base = Path(export_base)
        self.limits = limits or ServerLimits()
        self._slots = threading.BoundedSemaphore(self.limits.max_concurrent)
        if not self.export_base.is_dir():
            raise FileNotFoundError(f"{self.export_base}: no such export directory (run 'hwsr export')")
        candidates = sorted(p for p in self.export_base.iterdir() if p.is_dir() and versions(p))
        if names:
            missing = sorted(set(names) - {p.name for p in candidates})
            if missing:
                raise FileNotFoundError(f"{self.export_base}: no exported model {', '.join(missing)}")
            candidates = [p for p in candidates if p.name in set(names)]
        if not candidates:
            raise FileNotFoundError(f"{self.export_base}: no exported models (expected <name>/<version>/ "
                                    "directories written by 'hwsr export')")
        self.models: dict[str, ServedModel] = {}
        for base in candidates:
            version = versions(base)[-1]
            path = base / str(version)
            metadata = read_metadata(path)
            known = {f.name for f in dataclasses.fields(ExportLimits)}
            limits_ = ExportLimits(**{k: v for k, v in metadata.get("limits", {}).items() if k in known})
            module = tf.saved_model.load(str(path), tags=["serve"])
            self.models[base.name] = ServedModel(base.name, version, path, module, metadata, limits_)

    def get(self, name: str, version: int | None = None) -> ServedModel:
        model = self.models.get(name)
        if model is None:
            raise RequestError(404, f"Servable not found for request: Latest({name}); "
                                    f"served models: {', '.join(self.models)}")
        if version is not None and int(version) != model.version:
            raise RequestError(404, f"Servable not found for request: Specific({name}, {version}); "
                                    f"serving version {model.version}")
        return model

    def status(self, name: str, version: int | None = None) -> dict:
        model = self.get(name, version)
        return {"model_version_status": [{
            "version": str(model.version), "state": "AVAILABLE",
            "status": {"error_code": "OK", "error_message": ""}}]}

    def metadata(self, name: str, version: int | None = None) -> dict:
        model = self.get(name, version)
        sigs = {}
        for key, fn in model.signatures.items():
            sigs[key] = {
                "inputs": {k: {"dtype": s.dtype.name, "shape": s.shape.as_list()}
                           for k, s in fn.structured_input_signature[1].items()},
                "outputs": {k: {"dtype": s.dtype.name, "shape": s.shape.as_list()}
                            for k, s in fn.structured_outputs.items()},
            }
        return {"model_spec": {"name": name, "version": str(model.version)},
                "metadata": {"signature_def": sigs, "hwsr": model.metadata}}

    def input_dtypes(self, name: str, version: int | None, signature_name: str) -> dict:
        """``{input: numpy dtype or object}`` for the REST decoder."""
        model = self.get(name, version)
        self._signature(model, signature_name)
        return {k: (object if s.dtype.name == "string" else s.dtype.as_numpy_dtype)
                for k, s in model.input_specs(signature_name).items()}

    @staticmethod
    def _signature(model: ServedModel, signature_name: str):
        if signature_name not in model.signatures:
            raise RequestError(400, f"serving signature name: {signature_name!r} not found in signature "
                                    f"def; {model.name} has {', '.join(sorted(model.signatures))}")
        return model.signatures[signature_name]

    def check_inputs(self, model: ServedModel, signature_name: str, inputs: dict) -> dict:
        """Dtype, shape and the cheap bounds, before any graph work; the synthesis inputs go
        through `hwsr.inference.sampling_args`. Returns the inputs in the signature's dtypes."""
        specs = model.input_specs(signature_name)
        if set(inputs) != set(specs):
            raise RequestError(400, f"inputs {sorted(inputs)} do not match signature {signature_name!r} "
                                    f"inputs {sorted(specs)}")
        limits = model.limits
        dtypes = self.input_dtypes(model.name, model.version, signature_name)
        try:
            inputs = {k: cast_input(v, dtypes[k], k) for k, v in inputs.items()}
        except InputError as e:
            raise RequestError(400, str(e)) from None
        for key, value in inputs.items():
            spec = specs[key]
            if not spec.shape.is_compatible_with(value.shape):
                raise RequestError(400, f"input {key!r}: expected shape {spec.shape.as_list()} "
                                        f"(None = any), got {list(value.shape)}")
            if value.ndim and value.shape[0] > limits.max_batch:
                raise RequestError(400, f"input {key!r}: {value.shape[0]} lines, more than the limit "
                                        f"of {limits.max_batch} per request")
            if spec.dtype.name == "string":
                longest = max((len(v.encode() if isinstance(v, str) else bytes(v)) for v in value.ravel()),
                              default=0)
                if longest > 4 * limits.max_text_length:
                    raise RequestError(400, f"input {key!r}: text longer than the limit of "
                                            f"{limits.max_text_length} characters")
            if key == "strokes" and value.ndim == 3 and value.shape[1] > limits.max_points:
                raise RequestError(400, f"input 'strokes': {value.shape[1]} points, more than the "
                                        f"limit of {limits.max_points}")
            if key == "prime_strokes" and value.ndim == 3 and value.shape[1] > limits.max_prime_points:
                raise RequestError(400, f"input 'prime_strokes': {value.shape[1]} points, more than "
                                        f"the limit of {limits.max_prime_points}")
        try:
            check_sampling_inputs(inputs, limits.max_text_length)
        except InputError as e:
            raise RequestError(400, str(e)) from None
        return inputs

    def predict(self, name: str, version: int | None, signature_name: str | None, inputs: dict) -> dict:
        """Runs a signature on named numpy inputs; returns named numpy outputs."""
        import tensorflow as tf

        model = self.get(name, version)
        signature_name = signature_name or "serving_default"
        fn = self._signature(model, signature_name)
        inputs = self.check_inputs(model, signature_name, inputs)
        specs = model.input_specs(signature_name)
        try:
            tensors = {k: tf.constant(v, dtype=specs[k].dtype) for k, v in inputs.items()}
        except (TypeError, ValueError, OverflowError) as e:
            raise RequestError(400, f"inputs do not convert to the signature's dtypes ({e})") from None
        if not self._slots.acquire(timeout=self.limits.queue_timeout):
            raise RequestError(503, f"server busy: no free slot within {self.limits.queue_timeout:g} s")
        try:
            outputs = fn(**tensors)
        except tf.errors.InvalidArgumentError as e:
            raise RequestError(400, graph_error_message(e)) from None
        except tf.errors.OpError as e:
            raise RequestError(500, graph_error_message(e)) from None
        finally:
            self._slots.release()
        return {k: v.numpy() for k, v in outputs.items()}
