"""Clients for TensorFlow Serving (REST and gRPC) and a small local server with the same API.

Installed as ``hwsr.serving``. See ``docs/serving.md``.
"""
