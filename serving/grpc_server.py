"""The gRPC half of `hwsr serve`: TF Serving's ``PredictionService/Predict`` and
``ModelService/GetModelStatus`` on the same `ModelRegistry`."""

from __future__ import annotations

from concurrent import futures

from hwsr.serving.connection_limits import ConnectionLimits
from hwsr.serving.registry import ModelRegistry, RequestError


def make_grpc_server(registry: ModelRegistry, host: str = "127.0.0.1", port: int = 8500,
                     limits: ConnectionLimits | None = None):
    """A started ``grpc.Server``; returns ``(server, bound_port)`` (``port=0`` picks one).

    Calls run on ``limits.workers`` threads; beyond ``limits.max_pending`` calls in
    flight, gRPC itself answers ``RESOURCE_EXHAUSTED`` at once instead of queueing.
    """
    limits = limits or ConnectionLimits()
    import grpc
    import tensorflow as tf
    from tensorflow_serving.apis import (
        get_model_status_pb2,
        model_service_pb2_grpc,
        predict_pb2,
        prediction_service_pb2_grpc,
    )

    codes = {400: grpc.StatusCode.INVALID_ARGUMENT, 404: grpc.StatusCode.NOT_FOUND,
             413: grpc.StatusCode.RESOURCE_EXHAUSTED, 503: grpc.StatusCode.UNAVAILABLE}

    def version_of(spec):
        return spec.version.value if spec.HasField("version") else None

    class Prediction(prediction_service_pb2_grpc.PredictionServiceServicer):
        def Predict(self, request, context):
            try:
                try:
                    inputs = {k: tf.make_ndarray(v) for k, v in request.inputs.items()}
                except (TypeError, ValueError) as e:
                    raise RequestError(400, f"cannot read the input tensors ({e})") from None
                outputs = registry.predict(request.model_spec.name, version_of(request.model_spec),
                                           request.model_spec.signature_name or None, inputs)
                if request.output_filter:
                    unknown = sorted(set(request.output_filter) - set(outputs))
                    if unknown:
                        raise RequestError(400, f"output_filter names unknown outputs {unknown}")
                    outputs = {k: outputs[k] for k in request.output_filter}
            except RequestError as e:
                context.abort(codes.get(e.status, grpc.StatusCode.INTERNAL), e.message)
            response = predict_pb2.PredictResponse()
            response.model_spec.name = request.model_spec.name
            response.model_spec.version.value = registry.get(request.model_spec.name).version
            response.model_spec.signature_name = request.model_spec.signature_name or "serving_default"
            for key, value in outputs.items():
                response.outputs[key].CopyFrom(tf.make_tensor_proto(value))
            return response

    class Models(model_service_pb2_grpc.ModelServiceServicer):
        def GetModelStatus(self, request, context):
            try:
                model = registry.get(request.model_spec.name, version_of(request.model_spec))
            except RequestError as e:
                context.abort(codes.get(e.status, grpc.StatusCode.INTERNAL), e.message)
            response = get_model_status_pb2.GetModelStatusResponse()
            status = response.model_version_status.add()
            status.version = model.version
            status.state = get_model_status_pb2.ModelVersionStatus.AVAILABLE
            return response

    size = registry.limits.max_body_bytes
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=limits.workers,
                                                    thread_name_prefix="hwsr-grpc"),
                         maximum_concurrent_rpcs=limits.max_pending,
                         options=[("grpc.max_receive_message_length", size),
                                  ("grpc.max_send_message_length", 4 * size)])
    prediction_service_pb2_grpc.add_PredictionServiceServicer_to_server(Prediction(), server)
    model_service_pb2_grpc.add_ModelServiceServicer_to_server(Models(), server)
    bound = server.add_insecure_port(f"{host}:{port}")
    if bound == 0:
        raise OSError(f"cannot bind the gRPC server to {host}:{port}")
    server.start()
    return server, bound
