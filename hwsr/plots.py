"""Diagnostic plots: lines of ink; the synthesis network's attention window (Graves Fig. 12)
and mixture density (Fig. 10); the recogniser's CTC alignment and self-attention weights.

Every ``plot_*`` function builds a `matplotlib.figure.Figure` without pyplot (no global
backend state, so it behaves the same in scripts, the CLI and notebooks), writes it to
``path`` when one is given, and returns it: in a notebook, ``display(fig)`` shows it inline.
The arrays behind the plots come from functions of their own (`teacher_forced`,
`mixture_density_grid`, `ctc_alignment`, `self_attention_weights`).
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from hwsr.decoding import BLANK, log_softmax
from hwsr.layers.gaussian_window import window_weights
from hwsr.layers.mixture_density_head import split_mixture_params
from hwsr.strokes import drop_points, to_points, to_stroke_list

# --------------------------------------------------------------------------------------------
# Figures and ink.


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def _finish(fig, path: str | os.PathLike | None):
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=120)
    return fig


def _draw_ink(ax, strokes: np.ndarray) -> None:
    for stroke in to_stroke_list(strokes):
        ax.plot(stroke[:, 0], stroke[:, 1], "k-", linewidth=1)
    ax.set_aspect("equal")
    ax.set_axis_off()


def plot_lines(lines, titles: Sequence[str] | None = None, path: str | os.PathLike | None = None):
    """Draws lines of ink one under another, each under its title (the text it was written
    from, the bias it was sampled with, what a recogniser read, ...).

    Args:
        lines: one raw-unit ``[eos, dx, dy]`` array, or a list of them.
        titles: one title per line (may hold several text lines), or None.
        path: image file to write (any format matplotlib knows), or None.

    Returns:
        The figure, with one axes per line.
    """
    if isinstance(lines, np.ndarray) and lines.ndim == 2:
        lines = [lines]
    titles = [""] * len(lines) if titles is None else list(titles)
    if len(titles) != len(lines):
        raise ValueError(f"{len(titles)} titles for {len(lines)} lines")
    if not lines:
        raise ValueError("no lines to plot")
    points = [to_points(line)[:, :2] for line in lines]
    xs = np.concatenate([p[:, 0] for p in points])
    ink_height = max(float(np.median([np.ptp(p[:, 1]) for p in points])), 1e-6)
    width = float(np.clip(1.1 * np.ptp(xs) / ink_height, 4.0, 14.0))  # About 1 inch of ink height.
    row_heights = [1.3 + 0.25 * title.count("\n") for title in titles]
    fig = _figure(width, sum(row_heights))
    axes = fig.subplots(len(lines), 1, squeeze=False, gridspec_kw={"height_ratios": row_heights})
    for ax, line, title in zip(axes[:, 0], lines, titles):
        _draw_ink(ax, line)
        ax.set_xlim(xs.min(), xs.max())  # One scale for all lines, so they compare.
        ax.set_anchor("W")
        ax.set_title(title, loc="left", fontsize=9)
    return _finish(fig, path)


# --------------------------------------------------------------------------------------------
# Synthesis network.


@functools.lru_cache(maxsize=4)
def _in_graph(model):
    """``model`` called in a tf.function (one per model, shapes relaxed after a retrace):
    running its LSTMs eagerly, step by step, is many times slower on long lines."""
    return tf.function(lambda inputs: model(inputs, training=False), reduce_retracing=True)


def teacher_forced(synth, strokes: np.ndarray, text: str):
    """Runs the model over raw-unit ``strokes`` written for ``text``, at the model's point
    density (every ``downsample``-th point, as in training).

    Returns ``(phi [T, U + 1], params [T, 1 + 6M], normalised strokes [T, 3])``.
    """
    norm = synth.normalizer.normalize(drop_points(strokes, synth.downsample))
    inputs = np.concatenate([synth._start_point[None], norm[:-1]])[None]
    chars = synth.alphabet.encode(text)[None]
    out = _in_graph(synth.model)({"strokes": tf.constant(inputs), "chars": tf.constant(chars)})
    phi = window_weights(out["alpha"][0], out["beta"][0], out["kappa"][0], chars.shape[1] + 1)
    return phi.numpy(), out["params"][0].numpy(), norm


def plot_window(synth, strokes: np.ndarray, text: str, path: str | os.PathLike | None = None):
    """The window weights phi(t, u) over time under the written line (Graves Fig. 12).

    Returns the figure: the line on top, phi as an image ``[U + 1, T]`` below.
    """
    phi, _, norm = teacher_forced(synth, strokes, text)
    fig = _figure(10, 6)
    ax1, ax2 = fig.subplots(2, 1, gridspec_kw={"height_ratios": [1, 2]})
    _draw_ink(ax1, synth.normalizer.denormalize(norm))
    ax1.set_title(text)
    ax2.imshow(phi.T, aspect="auto", origin="lower", cmap="viridis", interpolation="nearest")
    ax2.set_yticks(range(len(text) + 1))
    ax2.set_yticklabels([*list(text), "<end>"], fontsize=7)
    ax2.set_xlabel("pen point (time step)")
    ax2.set_ylabel("character")
    ax2.set_title("attention window phi(t, u)")
    return _finish(fig, path)


def mixture_density_grid(params: np.ndarray, strokes_norm: np.ndarray, normalizer, grid: int = 400):
    """Sums, over time, each step's predicted offset density placed at the current pen
    position: the heat map of Graves Fig. 10. Returns ``(density [grid, grid], extent)``."""
    p = {k: v.numpy() for k, v in split_mixture_params(tf.constant(params)).items()}
    raw = normalizer.denormalize(strokes_norm)
    points = to_points(raw)[:, :2]
    std = np.asarray(normalizer.std)
    mean = np.asarray(normalizer.mean)
    x0, y0 = points.min(axis=0) - 50
    x1, y1 = points.max(axis=0) + 50
    xs = np.linspace(x0, x1, grid)
    ys = np.linspace(y0, y1, max(8, int(grid * (y1 - y0) / max(x1 - x0, 1))))
    gx, gy = np.meshgrid(xs, ys)
    density = np.zeros_like(gx)
    prev = np.concatenate([[[0.0, 0.0]], points[:-1]])
    for t in range(len(points)):
        cx, cy = prev[t]
        mux = p["mu_x"][t] * std[0] + mean[0] + cx
        muy = p["mu_y"][t] * std[1] + mean[1] + cy
        sx = np.exp(p["log_sigma_x"][t]) * std[0]
        sy = np.exp(p["log_sigma_y"][t]) * std[1]
        rho, pi = p["rho"][t], np.exp(p["log_pi"][t])
        near = np.abs(mux - cx) < 400
        for j in np.flatnonzero(near & (pi > 1e-3)):
            zx = (gx - mux[j]) / sx[j]
            zy = (gy - muy[j]) / sy[j]
            one = 1 - rho[j] ** 2
            z = zx**2 + zy**2 - 2 * rho[j] * zx * zy
            density += pi[j] * np.exp(-z / (2 * one)) / (2 * np.pi * sx[j] * sy[j] * np.sqrt(one))
    return density, (x0, x1, y0, y1)


def plot_mixture_density(synth, strokes: np.ndarray, text: str, path: str | os.PathLike | None = None):
    """Heat map of the predicted next-point densities along a line (Graves Fig. 10).

    Returns the figure: one image, the `mixture_density_grid` of the line.
    """
    _, params, norm = teacher_forced(synth, strokes, text)
    density, extent = mixture_density_grid(params, norm, synth.normalizer)
    fig = _figure(12, 3)
    ax = fig.subplots()
    ax.imshow(np.log1p(density / max(density.max(), 1e-30) * 1e3), extent=extent, origin="lower",
              cmap="magma")
    ax.set_title(f"mixture density: {text}")
    ax.set_axis_off()
    return _finish(fig, path)


# --------------------------------------------------------------------------------------------
# Recogniser.


@dataclasses.dataclass(frozen=True)
class CTCAlignment:
    """What the recogniser's CTC head says about each output frame of one line.

    Attributes:
        log_probs: ``[F, C]`` log posteriors of the alphabet codes per output frame (code 0
            is the blank).
        points: ``[N, 2]`` the pen positions the recogniser reads, after its in-graph point
            dropping (raw units, y up, the first point at the origin).
        pen_up: ``[N]`` True where the pen lifts after the point.
        frame_of_point: ``[N]`` the output frame each point feeds (the encoder halves time
            after some layers, so several points share a frame).
    """

    log_probs: np.ndarray
    points: np.ndarray
    pen_up: np.ndarray
    frame_of_point: np.ndarray

    @property
    def best_path(self) -> np.ndarray:
        """``[F]`` the most likely code per frame (greedy decoding before collapsing)."""
        return self.log_probs.argmax(axis=-1)

    @property
    def emissions(self) -> list[tuple[int, int]]:
        """``(frame, code)`` where the best path starts a character (what greedy decoding
        keeps after merging repeats and dropping blanks)."""
        path = self.best_path
        starts = np.flatnonzero((path != BLANK) & (np.r_[True, path[1:] != path[:-1]]))
        return [(int(f), int(path[f])) for f in starts]


def ctc_alignment(reader, strokes: np.ndarray) -> CTCAlignment:
    """Per-frame CTC posteriors of ``reader`` (a `hwsr.Recognizer`) for one raw-unit line,
    with the pen points each frame was computed from."""
    line = reader.prepare(strokes)
    logits, logit_lengths = reader.logits([line])
    frames = int(logit_lengths[0])
    features, lengths = reader.model.features(tf.constant(line[None]), tf.constant([len(line)], tf.int32))
    n = int(lengths[0])
    features = features[0, :n].numpy()
    offsets = features[:, :2] * np.asarray(reader.model.features.offset_scale, np.float32)
    encoder = reader.model.encoder
    halvings = len({i for i in encoder.subsample_after if i < encoder.num_layers})
    frame_of_point = np.arange(n) >> halvings
    if frame_of_point[-1] != frames - 1:
        raise ValueError(f"{n} points halved {halvings} times should give {frames} frames")
    return CTCAlignment(
        log_probs=log_softmax(logits[0, :frames]).astype(np.float32),
        points=np.cumsum(offsets, axis=0),
        pen_up=features[:, 2] > 0.5,
        frame_of_point=frame_of_point,
    )


def plot_ctc_alignment(reader, strokes: np.ndarray, path: str | os.PathLike | None = None):
    """Where the recogniser reads each character: the ink with every point coloured by its
    frame's most likely code (blank in grey) and each greedy emission written above it, and
    below, the posteriors over time of the blank and of the emitted characters.

    Returns the figure: the ink on top, the posteriors as an image ``[1 + K, F]`` below, with
    ``K`` the distinct characters emitted.
    """
    from matplotlib import colormaps

    alignment = ctc_alignment(reader, strokes)
    emissions = alignment.emissions
    text = reader.alphabet.decode([code for _, code in emissions])
    codes = list(dict.fromkeys(code for _, code in emissions))
    palette = colormaps["tab10"]
    colour_of = {code: palette(i % 10) for i, code in enumerate(codes)}

    fig = _figure(12, 5.5)
    ax_ink, ax_post = fig.subplots(2, 1, gridspec_kw={"height_ratios": [1, 1.3]})
    points, frame_path = alignment.points, alignment.best_path[alignment.frame_of_point]
    ends = np.flatnonzero(alignment.pen_up) + 1
    for stroke in np.split(points, ends[ends < len(points)]):
        ax_ink.plot(stroke[:, 0], stroke[:, 1], "-", color="0.8", linewidth=0.8)
    colours = [colour_of.get(code, (0.75, 0.75, 0.75, 1.0)) for code in frame_path]
    ax_ink.scatter(points[:, 0], points[:, 1], c=colours, s=5, zorder=2)
    bottom, top = points[:, 1].min(), points[:, 1].max()
    label_y = top + 0.15 * (top - bottom)
    for frame, code in emissions:
        x = points[alignment.frame_of_point == frame, 0].mean()
        ax_ink.text(x, label_y, reader.alphabet.decode([code]), color=colour_of[code],
                    ha="center", va="bottom", fontsize=9)
    ax_ink.set_ylim(bottom, top + 0.45 * (top - bottom))
    ax_ink.set_aspect("equal")
    ax_ink.set_axis_off()
    ax_ink.set_title(f"greedy: {text}", loc="left", fontsize=10)

    rows = [BLANK, *codes]
    ax_post.imshow(np.exp(alignment.log_probs[:, rows]).T, aspect="auto", origin="lower",
                   cmap="Greys", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax_post.set_yticks(range(len(rows)))
    ax_post.set_yticklabels(["<blank>", *(repr(reader.alphabet.decode([c])) for c in codes)], fontsize=7)
    ax_post.set_xlabel("output frame")
    ax_post.set_title("CTC posteriors over time", loc="left", fontsize=10)
    return _finish(fig, path)


def self_attention_weights(reader, strokes: np.ndarray) -> np.ndarray:
    """The attention weights of the recogniser's self-attention block over one line:
    ``[heads, F, F]``, row ``i`` of a head being how output frame ``i`` mixes all frames.

    The weights are those `SelfAttentionBlock.call` uses (`SelfAttentionBlock.attention_scores`).

    Raises:
        ValueError: the recogniser has no self-attention (``attention_heads=0``).
    """
    if reader.model.attention is None:
        raise ValueError("this recogniser has no self-attention block (attention_heads=0)")
    line = reader.prepare(strokes)
    scores = _attention_scores(reader.model)(tf.constant(line[None]), tf.constant([len(line)], tf.int32))
    return scores[0].numpy()


@functools.lru_cache(maxsize=4)
def _attention_scores(model):
    """A tf.function of ``(strokes, lengths)``: the scores ``[B, heads, F, F]`` of the model's
    self-attention."""

    @tf.function(reduce_retracing=True)
    def scores(strokes, lengths):
        features, lengths = model.features(strokes, lengths)
        states, lengths = model.encoder(features, lengths, training=False)
        return model.attention.attention_scores(states, lengths)

    return scores


def plot_self_attention(reader, strokes: np.ndarray, path: str | os.PathLike | None = None):
    """Heat maps of the recogniser's self-attention weights over one line, one per head.

    Returns the figure: one image ``[F, F]`` (query frame x key frame) per head.
    """
    weights = self_attention_weights(reader, strokes)
    fig = _figure(4.5 * len(weights), 4.5)
    axes = fig.subplots(1, len(weights), squeeze=False)[0]
    for head, (ax, w) in enumerate(zip(axes, weights)):
        ax.imshow(w, origin="lower", cmap="viridis", interpolation="nearest")
        ax.set_title(f"self-attention, head {head}", fontsize=10)
        ax.set_xlabel("key frame (attended to)")
        ax.set_ylabel("query frame")
    return _finish(fig, path)
