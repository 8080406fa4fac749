import numpy as np
import pytest
import tensorflow as tf

from hwsr.models.synthesis_model import HandwritingSynthesisModel
from hwsr.sampling import end_at_text_end, sample_strokes, window_passed_end


def tiny(conditional=True, seed=0):
    tf.keras.utils.set_random_seed(seed)
    model = HandwritingSynthesisModel(
        vocabulary_size=9 if conditional else None, units=8, num_layers=2,
        num_window_components=2, num_mixture_components=3,
    )
    model.build()
    return model


CHARS = tf.constant([[2, 3, 4, 0], [5, 6, 7, 8]])
PRIME = np.random.default_rng(1).normal(size=(6, 3)).astype(np.float32) * [0, 1, 1]


def test_same_seed_same_strokes_other_seed_other_strokes():
    model = tiny()
    f = tf.function(lambda s: sample_strokes(model, CHARS, seed=s, max_steps=40))
    a, la = f(tf.constant([1, 2]))
    b, lb = f(tf.constant([1, 2]))
    c, _ = f(tf.constant([7, 2]))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(la.numpy(), lb.numpy())
    assert not np.array_equal(a.numpy(), c.numpy())


def test_lengths_bounded_and_padding_after_each_line():
    model = tiny()
    strokes, lengths = sample_strokes(model, CHARS, seed=(3, 4), max_steps=25)
    assert strokes.shape[0] == 2 and strokes.shape[1] <= 25
    for s, n in zip(strokes.numpy(), lengths.numpy()):
        assert 1 <= n <= 25
        assert np.all(s[n:] == 0)


def test_window_passed_end_rule():
    phi = tf.constant([[0.1, 0.9, 0.2, 0.0], [0.1, 0.2, 0.9, 0.0], [0.0, 0.1, 0.5, 0.3]])
    lengths = tf.constant([2, 2, 3])
    # Row 0: past-end weight (0.2) < best real (0.9). Row 1: past-end 0.9 > 0.2. Row 2: 0.3 < 0.5.
    np.testing.assert_array_equal(window_passed_end(phi, lengths).numpy(), [False, True, False])


def test_strokes_begun_after_the_window_left_the_text_are_cut():
    def line(eos, where):
        return np.stack([eos, np.ones(len(eos)), np.ones(len(eos)), where], axis=1).astype(np.float32)

    # Text of 3 characters. Row 0: the last letter's stroke (steps 3-5) ends with the window
    # past the end (3) and is kept; the stroke after it (6-7) is stray and cut. Row 1: no
    # stroke after the text: unchanged. Row 2: written past the end from the start (no
    # position on the text): unchanged. Row 3: padding after its length is not read.
    rows = [line([0, 0, 1, 0, 0, 1, 0, 1], [0, 1, 1, 2, 2, 3, 3, 3]),
            line([0, 1, 0, 0, 1, 0, 0, 0], [0, 0, 1, 2, 3, 0, 0, 0]),
            line([0, 1, 0, 1, 0, 0, 0, 0], [3, 3, 3, 3, 0, 0, 0, 0]),
            line([0, 0, 1, 0, 1, 1, 1, 1], [0, 2, 3, 3, 3, 0, 0, 0])]
    lengths = end_at_text_end(tf.constant(np.stack(rows)), tf.constant([8, 5, 4, 5]), tf.constant([3] * 4))
    np.testing.assert_array_equal(lengths.numpy(), [6, 5, 4, 3])


def race_ahead(model, kappa_bias=4.0):
    """Forces the window to move fast (about exp(kappa_bias) / 10 characters a step) and the
    pen to lift at every point (a huge eos bias): every point is a stroke of its own."""
    k = model.num_window_components
    model.stack.window.dense.bias.assign(
        np.concatenate([np.zeros(2 * k), np.full(k, kappa_bias)]).astype(np.float32))
    model.head.dense.bias.assign(np.concatenate([[30.0], np.zeros(18)]).astype(np.float32))
    return model


@pytest.mark.parametrize("implementation", ["xla", "reference"])
def test_sampled_lines_end_with_the_stroke_that_leaves_the_text(implementation):
    # Every point lifts the pen, so the line must end at the last point written with the
    # window on the text; the point at which the window passed the end is a stray stroke.
    model = race_ahead(tiny(), kappa_bias=np.log(5.0))  # Half a character a step.
    _, lengths, where = sample_strokes(model, CHARS, seed=(0, 1), max_steps=200,
                                       return_window=True, implementation=implementation)
    for n, w, u in zip(lengths.numpy(), where.numpy(), [3, 4]):
        assert 1 < n < 200 and w[n - 1] < u


def test_lines_stop_only_with_pen_up_after_the_window_passed_the_text():
    model = race_ahead(tiny())
    strokes, lengths = sample_strokes(model, CHARS, seed=(0, 1), max_steps=200)
    assert np.all(lengths.numpy() < 200)
    for s, n in zip(strokes.numpy(), lengths.numpy()):
        assert s[n - 1, 0] == 1.0  # the last point lifts the pen


def test_bias_reduces_spread():
    model = tiny(conditional=False)
    loose, _ = sample_strokes(model, batch_size=64, seed=(5, 5), max_steps=30, bias=0.0)
    tight, _ = sample_strokes(model, batch_size=64, seed=(5, 5), max_steps=30, bias=3.0)
    assert tight.numpy()[..., 1:].std() < loose.numpy()[..., 1:].std()


def test_priming_changes_the_output_and_keeps_shapes():
    model = tiny()
    prime = np.random.default_rng(0).normal(size=(12, 3)).astype(np.float32)
    prime[:, 0] = 0
    base, _ = sample_strokes(model, CHARS, seed=(1, 1), max_steps=20)
    primed, lengths = sample_strokes(
        model, CHARS, seed=(1, 1), max_steps=20, prime_strokes=prime, prime_chars=[2, 3, 1]
    )
    assert primed.shape[0] == 2 and lengths.shape == (2,)
    assert not np.allclose(base.numpy()[:, :5], primed.numpy()[:, :5])


@pytest.mark.parametrize("implementation", ["xla", "graph"])
@pytest.mark.parametrize("conditional", [True, False])
def test_fast_paths_give_the_reference_strokes(implementation, conditional):
    model = tiny(conditional=conditional)
    kwargs = dict(seed=(4, 2), max_steps=45, bias=0.5, temperature=0.9)
    if conditional:
        kwargs.update(chars=CHARS, prime_strokes=PRIME, prime_chars=[2, 3])
    else:
        kwargs.update(batch_size=3)
    ref, ref_lengths = sample_strokes(model, implementation="reference", **kwargs)
    fast, lengths = sample_strokes(model, implementation=implementation, **kwargs)
    np.testing.assert_array_equal(lengths.numpy(), ref_lengths.numpy())
    assert fast.shape == ref.shape
    np.testing.assert_allclose(fast.numpy(), ref.numpy(), atol=1e-4)


def test_fast_path_stops_lines_like_the_reference():
    model = tiny()
    k = model.num_window_components
    model.stack.window.dense.bias.assign(np.r_[np.zeros(2 * k), np.full(k, 2.0)].astype(np.float32))
    kwargs = dict(seed=(0, 3), max_steps=100)
    ref, ref_lengths = sample_strokes(model, CHARS, implementation="reference", **kwargs)
    fast, lengths = sample_strokes(model, CHARS, **kwargs)
    assert np.all(ref_lengths.numpy() < 100)  # the lines ended by Graves' rule, mid-chunk
    np.testing.assert_array_equal(lengths.numpy(), ref_lengths.numpy())
    np.testing.assert_allclose(fast.numpy(), ref.numpy(), atol=1e-4)


def test_unknown_implementation_is_a_value_error():
    with pytest.raises(ValueError, match="implementation"):
        sample_strokes(tiny(), CHARS, implementation="fast", max_steps=2)


@pytest.mark.parametrize("implementation", ["xla", "graph"])
def test_window_positions_match_the_reference(implementation):
    model = tiny()
    chars = tf.constant([[2, 3, 4, 0, 0], [5, 6, 7, 8, 2], [3, 0, 0, 0, 0]])  # xla pads to [4, 16]
    kwargs = dict(seed=(2, 9), max_steps=70, bias=0.5, return_window=True)
    ref, ref_lengths, ref_where = sample_strokes(model, chars, implementation="reference", **kwargs)
    fast, lengths, where = sample_strokes(model, chars, implementation=implementation, **kwargs)
    np.testing.assert_array_equal(lengths.numpy(), ref_lengths.numpy())
    np.testing.assert_allclose(fast.numpy(), ref.numpy(), atol=1e-4)
    assert where.dtype == tf.int32 and where.shape == fast.shape[:2]
    np.testing.assert_array_equal(where.numpy(), ref_where.numpy())
    assert where.numpy().min() >= 0 and where.numpy().max() <= chars.shape[1]


def test_padded_batches_reuse_one_compiled_chunk(monkeypatch):
    """Batches of 3 and 4 lines with texts of 5 and 9 characters reach the XLA chunk in one
    padded shape, so it is compiled once for all of them; padding changes no line."""
    import hwsr.sampling as sampling

    shapes, real = [], sampling._chunk_function

    def spy(model, jit_compile):
        run = real(model, jit_compile)

        def recorded(weights, t0, num_steps, point, state, finished, lengths, text, *rest):
            shapes.append((tuple(point.shape), tuple(text[0].shape)))
            return run(weights, t0, num_steps, point, state, finished, lengths, text, *rest)
        return recorded

    monkeypatch.setattr(sampling, "_chunk_function", spy)
    model = tiny()
    three = sample_strokes(model, tf.constant([[2, 3, 4, 0, 0], [5, 6, 7, 8, 2], [3, 0, 0, 0, 0]]),
                           seed=(1, 1), max_steps=40)
    four = sample_strokes(model, tf.constant([[2, 3, 4, 0, 0, 0, 0, 0, 0], [5, 6, 7, 8, 2, 0, 0, 0, 0],
                                              [3, 0, 0, 0, 0, 0, 0, 0, 0], [4] * 9]),
                          seed=(1, 1), max_steps=40)
    assert set(shapes) == {((4, 3), (4, 16, model.vocabulary_size))}
    assert three[0].shape[0] == 3 and four[0].shape[0] == 4
    width = min(three[0].shape[1], four[0].shape[1])
    np.testing.assert_allclose(four[0][:3, :width].numpy(), three[0][:, :width].numpy(), atol=1e-5)


@pytest.mark.parametrize(("n", "expected"), [(1, 1), (3, 4), (9, 16), (17, 32), (33, 48)])
def test_bucket_sizes(n, expected):
    from hwsr.sampling import bucket_size

    assert int(bucket_size(tf.constant(n), 16)) == expected


@pytest.mark.parametrize(("n", "expected"), [(1, 16), (16, 16), (17, 32)])
def test_padded_text_lengths(n, expected):
    from hwsr.layers.gaussian_window import padded_text_length

    assert int(padded_text_length(tf.constant(n))) == expected
