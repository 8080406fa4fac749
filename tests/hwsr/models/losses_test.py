"""Tests for hwsr.models.losses.reduce_per_example_loss under tf.distribute.

Keras 3's TF trainer all-reduces gradients with SUM across replicas, so each replica must
contribute its local mean divided by the number of replicas. The check uses plain SGD:
Adam is (almost) invariant to the gradient scale and would hide a wrong reduction.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

from hwsr.models.losses import reduce_per_example_loss
from hwsr.models.synthesis_model import HandwritingSynthesisModel


class NaiveMeanModel(HandwritingSynthesisModel):
    """The naive reduction (mean of the local batch, no replica scaling): the control."""

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return tf.reduce_mean(self.per_line_nll(y, y_pred))


def _batch():
    rng = np.random.default_rng(0)
    strokes = rng.normal(size=(4, 9, 3)).astype(np.float32)
    strokes[..., 0] = (rng.random((4, 9)) < 0.2).astype(np.float32)
    mask = np.ones((4, 8), np.float32)
    mask[1, 5:] = 0  # Lines of different lengths.
    mask[3, 2:] = 0
    return {"strokes": strokes[:, :-1]}, {"targets": strokes[:, 1:], "mask": mask}


def _sgd_update(strategy, cls=HandwritingSynthesisModel):
    """Weight change after one SGD step on the same global batch of 4 lines."""
    x, y = _batch()
    with strategy.scope():
        keras.utils.set_random_seed(1)
        model = cls(vocabulary_size=None, units=8, num_layers=1, num_mixture_components=2)
        model.build()
        model.compile(optimizer=keras.optimizers.SGD(0.01))
    before = [v.numpy().copy() for v in model.trainable_variables]
    ds = tf.data.Dataset.from_tensors((x, y))
    history = model.fit(ds, epochs=1, verbose=0, shuffle=False)
    deltas = [v.numpy() - b for v, b in zip(model.trainable_variables, before)]
    return deltas, history.history["loss"][0]


def _mirrored():
    cpus = tf.config.list_logical_devices("CPU")
    assert len(cpus) >= 2, "tests/conftest.py should split the CPU into 2 logical devices"
    # Reduction on one device: collective ops keyed per strategy collide across the
    # strategies that one test process creates.
    return tf.distribute.MirroredStrategy([d.name for d in cpus[:2]],
                                          cross_device_ops=tf.distribute.ReductionToOneDevice())


def test_no_scaling_without_a_strategy():
    per_example = tf.constant([1.0, 2.0, 6.0])
    assert float(reduce_per_example_loss(per_example)) == pytest.approx(3.0)


def test_divides_by_the_replicas_in_a_replica_context():
    strategy = _mirrored()
    result = strategy.run(lambda: reduce_per_example_loss(tf.constant([2.0, 4.0])))
    values = [float(v) for v in strategy.experimental_local_results(result)]
    assert values == pytest.approx([1.5, 1.5])  # mean 3 / 2 replicas


def test_mirrored_update_equals_single_device_update():
    single, single_loss = _sgd_update(tf.distribute.get_strategy())
    mirrored, mirrored_loss = _sgd_update(_mirrored())
    assert max(float(np.abs(d).max()) for d in single) > 1e-4  # The step really moved the weights.
    for a, b in zip(single, mirrored):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)
    # The logged loss is the global mean too (Keras unscales it for reporting).
    assert mirrored_loss == pytest.approx(single_loss, rel=1e-5)


def test_the_control_would_double_the_update():
    """Shows the test above can fail: a plain local mean gives 2x the update on 2 replicas."""
    single, _ = _sgd_update(tf.distribute.get_strategy(), NaiveMeanModel)
    mirrored, _ = _sgd_update(_mirrored(), NaiveMeanModel)
    ratio = np.concatenate([m.ravel() for m in mirrored]) / np.concatenate([s.ravel() for s in single])
    big = np.abs(np.concatenate([s.ravel() for s in single])) > 1e-5
    assert np.median(ratio[big]) == pytest.approx(2.0, rel=1e-3)
