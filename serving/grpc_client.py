"""Client for TensorFlow Serving's gRPC ``PredictionService`` (and `hwsr serve --grpc-port`)."""

from __future__ import annotations

import numpy as np

from hwsr.serving.client_base import PredictClient, ServingError


def _apis():
    try:
        import grpc
        from tensorflow_serving.apis import (
            get_model_status_pb2,
            model_service_pb2_grpc,
            predict_pb2,
            prediction_service_pb2_grpc,
        )
    except ImportError as e:
        raise ImportError("the gRPC client needs grpcio and tensorflow-serving-api; install them with "
                          "'pip install --no-deps -r requirements-serving.txt'") from e
    return grpc, predict_pb2, prediction_service_pb2_grpc, get_model_status_pb2, model_service_pb2_grpc


class GrpcClient(PredictClient):
    """Calls ``tensorflow.serving.PredictionService/Predict`` over an insecure channel.

    Args:
        target: ``host:port`` of the gRPC API (TF Serving's ``--port``, 8500 by default).
        timeout: seconds to wait for each call (the gRPC deadline).
        max_message_mb: largest answer accepted (stroke batches can exceed gRPC's 4 MB default).

    Example:

    >>> with GrpcClient("localhost:8500") as client:
    ...     [strokes] = client.synthesize(["hello"])
    """

    def __init__(self, target: str = "localhost:8500", timeout: float = 60.0, max_message_mb: int = 64):
        grpc, predict_pb2, service, status_pb2, model_service = _apis()
        self._grpc, self._predict_pb2, self._status_pb2 = grpc, predict_pb2, status_pb2
        self.target = target
        self.timeout = float(timeout)
        size = int(max_message_mb) * 1024 * 1024
        self.channel = grpc.insecure_channel(
            target, options=[("grpc.max_receive_message_length", size),
                             ("grpc.max_send_message_length", size)])
        self.stub = service.PredictionServiceStub(self.channel)
        self.model_stub = model_service.ModelServiceStub(self.channel)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _rpc(self, method, request, what: str):
        try:
            return method(request, timeout=self.timeout)
        except self._grpc.RpcError as e:
            code = e.code()
            if code == self._grpc.StatusCode.DEADLINE_EXCEEDED:
                raise ServingError(f"{self.target} {what}: no answer within {self.timeout:g} s",
                                   code.name) from None
            raise ServingError(f"{self.target} {what}: {code.name}: {e.details()}", code.name) from None

    def predict(self, model: str, inputs: dict, signature_name: str | None = None,
                version: int | None = None) -> dict:
        """Named numpy inputs -> named numpy outputs (strings as ``bytes``)."""
        import tensorflow as tf

        request = self._predict_pb2.PredictRequest()
        request.model_spec.name = model
        request.model_spec.signature_name = signature_name or "serving_default"
        if version is not None:
            request.model_spec.version.value = int(version)
        for key, value in inputs.items():
            request.inputs[key].CopyFrom(tf.make_tensor_proto(np.asarray(value)))
        response = self._rpc(self.stub.Predict, request, f"Predict({model})")
        return {k: tf.make_ndarray(v) for k, v in response.outputs.items()}

    def status(self, model: str, version: int | None = None):
        """``ModelService/GetModelStatus``: the ``GetModelStatusResponse``."""
        request = self._status_pb2.GetModelStatusRequest()
        request.model_spec.name = model
        if version is not None:
            request.model_spec.version.value = int(version)
        return self._rpc(self.model_stub.GetModelStatus, request, f"GetModelStatus({model})")
