"""The inference path around the models, shared by the Python API, the exports and the server.

* `hwsr.inference.sampling_args`: one validation of bias, temperature, seed, max steps, text.
* `hwsr.inference.synthesis_io`: synthesis pre/post-processing on the host (numpy).
* `hwsr.inference.synthesis_graph`: the same rules as graph ops (SavedModel signatures).
* `hwsr.inference.recognition_io`: stroke preparation and padding for the recogniser.
"""
