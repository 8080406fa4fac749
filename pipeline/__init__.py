"""Data preparation, tf.data pipelines and training (installed as ``hwsr.pipeline``)."""
