"""Graph-compiled, batched sampling from the synthesis network (Graves 2013, section 5).

`sample_strokes` runs the whole generation as one `tf.while_loop` (wrap it in a
`tf.function` to compile it): many lines per call, stateless random numbers (the same seed
gives the same strokes), the sampling bias of section 5.4, a temperature, priming with a
writer's strokes (section 5.5), and Graves' stopping rule (section 5.3): a line ends once the
window weight one position past its last character outweighs every real character *and*
the pen is lifted, so words are never cut off.
"""

from __future__ import annotations

import math
import weakref

import tensorflow as tf

from hwsr import stateless_random
from hwsr.layers.gaussian_window import padded_text_length
from hwsr.layers.mixture_density_head import sample_mixture


def window_passed_end(phi, char_lengths):
    """``[B]`` bool: phi at position ``len`` (one past the text) beats every real character."""
    positions = tf.range(tf.shape(phi)[1])[tf.newaxis, :]
    real = positions < char_lengths[:, tf.newaxis]
    best_real = tf.reduce_max(tf.where(real, phi, tf.zeros_like(phi)), axis=1)
    past = tf.gather(phi, char_lengths, axis=1, batch_dims=1)
    return past > best_real


def sample_strokes(
    model,
    chars=None,
    *,
    bias=0.0,
    seed=(0, 0),
    max_steps=1000,
    temperature=1.0,
    batch_size=None,
    start_point=None,
    prime_strokes=None,
    prime_chars=None,
    implementation="xla",
    return_window=False,
):
    """Samples pen strokes from a `HandwritingSynthesisModel`.

    Args:
        model: a conditional (or, with ``chars=None``, unconditional) synthesis model.
        chars: ``[B, U]`` int32 character codes padded with 0 (conditional models).
        bias: scalar or ``[B]`` sampling bias (0 = plain sampling; larger is neater).
        seed: two int32 values; the same seed gives the same strokes for the same inputs.
        max_steps: hard bound on the number of points (scalar int32).
        temperature: scalar or ``[B]`` extra temperature (1 = none).
        batch_size: number of lines for an unconditional model (ignored when ``chars`` given).
        start_point: ``[3]`` first input point (normalised); default all zeros.
        prime_strokes: optional ``[P, 3]`` normalised strokes of a writer (same for all lines);
            the network reads them first, so its hidden state carries their style.
        prime_chars: ``[Up]`` codes of the priming line's text (conditional priming); it is
            put in front of every line's text, as in Graves section 5.5.
        implementation: ``"xla"`` (default) runs the loop in XLA-compiled chunks of `CHUNK`
            steps on the fused step (one matmul per layer); ``"graph"`` runs the same chunks
            without XLA (for runtimes without it); ``"reference"`` runs Keras' cells step by
            step. All three draw the same random numbers (`hwsr.stateless_random`), so the
            same seed gives the same strokes, to float rounding. ``"xla"`` pads the batch
            (`bucket_size`) and the text (`padded_text_length`) to a few sizes (padded lines start
            finished), so that new shapes seldom compile the chunk again.
        return_window: also return where the attention window was at every step.

    Returns:
        ``(strokes [B, T, 3], lengths [B])``: normalised ``[eos, dx, dy]`` points, padded with
        zeros after each line's length. ``T <= max_steps``. With ``return_window``, a third
        ``[B, T]`` int32: the character position (in ``prime_chars + chars``; one past the
        text once it is written) of the largest window weight phi at each step (zeros for
        an unconditional model).
    """
    conditional = model.conditional
    if conditional and chars is None:
        raise ValueError("a conditional model needs chars")
    if implementation not in ("xla", "graph", "reference"):
        raise ValueError(f"implementation={implementation!r}: expected 'xla', 'graph' or 'reference'")
    padded = conditional and implementation == "xla"
    if conditional:
        chars = tf.cast(chars, tf.int32)
        lines = tf.shape(chars)[0]
        if padded:  # All-pad rows have no text: they start finished and write nothing.
            width = tf.shape(chars)[1]
            chars = tf.pad(chars, [[0, bucket_size(lines, BATCH_STEP) - lines],
                                   [0, padded_text_length(width) - width]])
        batch = tf.shape(chars)[0]
        char_lengths = tf.reduce_sum(tf.cast(chars > 0, tf.int32), axis=1)
        if prime_chars is not None:
            prime_chars = tf.cast(prime_chars, tf.int32)
            prefix = tf.tile(prime_chars[tf.newaxis, :], [batch, 1])
            chars = tf.concat([prefix, chars], axis=1)
            char_lengths = char_lengths + tf.shape(prime_chars)[0]
        one_hot, char_mask = model.encode_chars(chars)
    else:
        batch = tf.constant(batch_size or 1)
        char_lengths = one_hot = char_mask = None
    state = model.initial_state(batch)
    point = tf.zeros([batch, 3]) if start_point is None else tf.tile(
        tf.reshape(tf.cast(start_point, tf.float32), [1, 3]), [batch, 1]
    )
    if prime_strokes is not None:
        prime = tf.cast(prime_strokes, tf.float32)
        prime = tf.tile(prime[tf.newaxis], [batch, 1, 1])
        prime_inputs = tf.concat([point[:, tf.newaxis], prime[:, :-1]], axis=1)
        _, _, state = model.stack(prime_inputs, one_hot, char_mask, initial_state=state)
        point = prime[:, -1]

    seed = tf.cast(tf.convert_to_tensor(seed), tf.int32)
    bias = tf.cast(bias, tf.float32)
    temperature = tf.cast(temperature, tf.float32)
    max_steps = tf.cast(max_steps, tf.int32)
    text = (one_hot, char_mask, char_lengths)
    finished = tf.range(batch) >= lines if padded else tf.zeros([batch], tf.bool)
    loop = (point, tuple(state), finished, tf.zeros([batch], tf.int32))
    if implementation == "reference":
        run = _steps_function(model, lambda weights, p, s: model.step(p, s, one_hot, char_mask))
        _, _, _, lengths, out = run(None, tf.constant(0), max_steps, *loop, text, seed, bias,
                                    temperature, max_steps)
        return _outputs(tf.transpose(out, [1, 0, 2]), lengths, return_window, char_lengths)
    run = _chunk_function(model, jit_compile=implementation == "xla")
    weights = (model.stack.fused_weights(), tf.convert_to_tensor(model.head.dense.kernel),
               tf.convert_to_tensor(model.head.dense.bias))
    outs = tf.TensorArray(tf.float32, size=0, dynamic_size=True, element_shape=[CHUNK, None, 4])

    def cond(t, point, state, finished, lengths, outs):
        return (t < max_steps) & ~tf.reduce_all(finished)

    def body(t, *args):
        *loop, outs = args
        *loop, out = run(weights, t, CHUNK, *loop, text, seed, bias, temperature, max_steps)
        return (t + CHUNK, *loop, outs.write(t // CHUNK, out))

    *_, lengths, outs = tf.while_loop(cond, body, (tf.constant(0), *loop, outs))
    strokes = outs.concat()[: tf.reduce_max(lengths)]
    if padded:
        strokes, lengths, char_lengths = strokes[:, :lines], lengths[:lines], char_lengths[:lines]
    return _outputs(tf.transpose(strokes, [1, 0, 2]), lengths, return_window, char_lengths)


#: Steps per XLA-compiled call of the fast sampler (the host loop runs once per chunk).
CHUNK = 32
#: The XLA sampler pads the batch to a power of two up to this, then to multiples of it.
BATCH_STEP = 16


def bucket_size(n, step):
    """The padded size of a batch of ``n`` (a scalar int32 tensor): the next power of two up
    to ``step``, then the next multiple of ``step``; so a few compiled shapes serve every
    batch size."""
    n = tf.maximum(tf.cast(n, tf.int32), 1)
    multiple = (n + step - 1) // step * step
    power = tf.cast(tf.round(2 ** tf.math.ceil(tf.math.log(tf.cast(n, tf.float32)) / math.log(2.0))),
                    tf.int32)
    return tf.where(n <= step, tf.maximum(power, n), multiple)


def end_at_text_end(points, lengths, char_lengths):
    """``[B]`` line lengths that end at the pen lift closing the last stroke written while
    the window was still on the text.

    A line stops once the window has passed the end of its text and the pen lifts (Graves'
    rule, `window_passed_end`), but the network often starts one more stroke in between: a
    stray "I" or dot after the final full stop, drawn with the window already past the end,
    which a reader takes for a character. Strokes begun after the window left the text are
    cut; a stroke that was under way when it left (the last letter finishing) is kept.

    Args:
        points: ``[B, T, 4]`` sampled ``[eos, dx, dy, window position]``.
        lengths: ``[B]`` sampled lengths.
        char_lengths: ``[B]`` text lengths (in the window's positions, priming text included).
    """
    steps = tf.range(tf.shape(points)[1])[tf.newaxis, :]
    written = steps < lengths[:, tf.newaxis]
    on_text = written & (tf.cast(points[..., 3], tf.int32) < char_lengths[:, tf.newaxis])
    last_on_text = tf.reduce_max(tf.where(on_text, steps, -1), axis=1)
    lift = written & (points[..., 0] > 0.5) & (steps >= last_on_text[:, tf.newaxis])
    first_lift = tf.reduce_min(tf.where(lift, steps, tf.int32.max), axis=1)
    cut = (last_on_text >= 0) & (first_lift < lengths)
    return tf.where(cut, first_lift + 1, lengths)


def _outputs(points, lengths, return_window, char_lengths=None):
    """``[B, T, 4]`` sampled points with the window position as channel 3, to the returns
    (conditional lines cut at the end of their text, `end_at_text_end`)."""
    if char_lengths is not None:
        lengths = end_at_text_end(points, lengths, char_lengths)
        points = points * tf.cast(tf.range(tf.shape(points)[1])[tf.newaxis, :, tf.newaxis]
                                  < lengths[:, tf.newaxis, tf.newaxis], points.dtype)
    if return_window:
        return points[..., :3], lengths, tf.cast(points[..., 3], tf.int32)
    return points[..., :3], lengths


def _run_steps(model, step_fn, weights, t0, num_steps, point, state, finished, lengths, text,
               seed, bias, temperature, max_steps):
    """Steps ``t0 .. t0 + num_steps - 1`` of the sampling loop (fewer once every line ended).

    Returns ``(point, state, finished, lengths, points [num_steps or fewer, B, 4])`` (the
    sampled ``[eos, dx, dy]`` and the position of the window's largest weight); lines
    stop at step ``max_steps`` too, so a chunk may run past it and write padding.
    """
    char_lengths = text[2]
    static = isinstance(num_steps, int)  # a chunk (XLA needs a fixed size) or the whole run
    out = tf.TensorArray(tf.float32, size=num_steps if static else 0, dynamic_size=not static,
                         element_shape=[None, 4])

    def cond(i, point, state, finished, lengths, out):
        return (i < num_steps) & ~tf.reduce_all(finished)

    def body(i, point, state, finished, lengths, out):
        t = t0 + i
        params, new_state, window = step_fn(weights, point, state)
        step_seed = tf.random.experimental.stateless_fold_in(seed, t, alg=stateless_random.ALG)
        new_point = sample_mixture(params, step_seed, bias, temperature)
        live = ~finished & (t < max_steps)
        new_point = tf.where(live[:, tf.newaxis], new_point, tf.zeros_like(new_point))
        if model.conditional:
            where = tf.cast(tf.argmax(window["phi"], axis=1), tf.float32)[:, tf.newaxis]
        else:
            where = tf.zeros_like(new_point[:, :1])
        out = out.write(i, tf.concat([new_point, where], axis=1))
        lengths = lengths + tf.cast(live, tf.int32)
        if model.conditional:
            pen_up = new_point[:, 0] > 0.5
            finished = finished | (window_passed_end(window["phi"], char_lengths) & pen_up)
        finished = finished | ~live
        # Keep the state of finished lines frozen (their outputs are padding anyway).
        new_state = tuple(
            tf.where(live[:, tf.newaxis], n, s) for n, s in zip(new_state, state)
        )
        return i + 1, new_point, new_state, finished, lengths, out

    _, point, state, finished, lengths, out = tf.while_loop(
        cond, body, (tf.constant(0), point, state, finished, lengths, out))
    return point, state, finished, lengths, out.stack()


def _steps_function(model, step_fn):
    return lambda *args: _run_steps(model, step_fn, *args)


_CHUNK_FUNCTIONS = weakref.WeakKeyDictionary()


def _chunk_function(model, jit_compile):
    """`_run_steps` on the fused step (`GravesLSTMStack.fused_step`), one function per model."""
    cache = _CHUNK_FUNCTIONS.setdefault(model, {})
    if jit_compile not in cache:
        def fused(weights, point, state, text_one_hot=None, text_mask=None):
            stack_weights, head_kernel, head_bias = weights
            hidden, state, window = model.stack.fused_step(stack_weights, point, state,
                                                           text_one_hot, text_mask)
            return tf.matmul(hidden, head_kernel) + head_bias, state, window

        def run(weights, t0, num_steps, point, state, finished, lengths, text, *rest):
            step_fn = lambda w, p, s: fused(w, p, s, text[0], text[1])  # noqa: E731
            return _run_steps(model, step_fn, weights, t0, num_steps, point, state, finished,
                              lengths, text, *rest)

        cache[jit_compile] = tf.function(run, jit_compile=jit_compile)
    return cache[jit_compile]
