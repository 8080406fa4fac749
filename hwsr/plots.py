"""Diagnostic plots of the synthesis network: the attention window (Graves Fig. 12) and the
mixture density over a sample (Fig. 10)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from hwsr.layers.gaussian_window import window_weights
from hwsr.layers.mixture_density_head import split_mixture_params
from hwsr.strokes import drop_points, to_points


def teacher_forced(synth, strokes: np.ndarray, text: str):
    """Runs the model over raw-unit ``strokes`` written for ``text``, at the model's point
    density (every ``downsample``-th point, as in training).

    Returns ``(phi [T, U + 1], params [T, 1 + 6M], normalised strokes [T, 3])``.
    """
    norm = synth.normalizer.normalize(drop_points(strokes, synth.downsample))
    inputs = np.concatenate([synth._start_point[None], norm[:-1]])[None]
    chars = synth.alphabet.encode(text)[None]
    out = synth.model({"strokes": tf.constant(inputs), "chars": tf.constant(chars)})
    phi = window_weights(out["alpha"][0], out["beta"][0], out["kappa"][0], chars.shape[1] + 1)
    return phi.numpy(), out["params"][0].numpy(), norm


def plot_window(synth, strokes: np.ndarray, text: str, path: str) -> None:
    """The window weights phi(t, u) over time under the written line (Graves Fig. 12)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    phi, _, norm = teacher_forced(synth, strokes, text)
    strokes = synth.normalizer.denormalize(norm)
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 6), gridspec_kw={"height_ratios": [1, 2]})
    _draw_line(ax1, strokes)
    ax1.set_title(text)
    ax2.imshow(phi.T, aspect="auto", origin="lower", cmap="viridis", interpolation="nearest")
    ax2.set_yticks(range(len(text) + 1))
    ax2.set_yticklabels([*list(text), "<end>"], fontsize=7)
    ax2.set_xlabel("pen point (time step)")
    ax2.set_ylabel("character")
    ax2.set_title("attention window phi(t, u)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


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


def plot_mixture_density(synth, strokes: np.ndarray, text: str, path: str) -> None:
    """Heat map of the predicted next-point densities along a line (Graves Fig. 10)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _, params, norm = teacher_forced(synth, strokes, text)
    density, extent = mixture_density_grid(params, norm, synth.normalizer)
    fig, ax = plt.subplots(figsize=(12, 3))
    ax.imshow(np.log1p(density / density.max() * 1e3), extent=extent, origin="lower", cmap="magma")
    ax.set_title(f"mixture density: {text}")
    ax.set_axis_off()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _draw_line(ax, strokes):
    from hwsr.strokes import to_stroke_list

    for stroke in to_stroke_list(strokes):
        ax.plot(stroke[:, 0], stroke[:, 1], "k-", linewidth=1)
    ax.set_aspect("equal")
    ax.set_axis_off()
