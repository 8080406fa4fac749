"""Export of hwsr models for TensorFlow Serving (SavedModel) and LiteRT (``.tflite``).

Installed as ``hwsr.export``. See ``docs/serving.md`` for the signatures and how to serve them.
"""
