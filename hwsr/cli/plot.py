"""``hwsr plot``: attention-window and mixture-density plots of a generated line."""

from __future__ import annotations

import sys

from hwsr.cli.generate import cannot_write
from hwsr.cli.models import load_synthesizer
from hwsr.console import CLIError
from hwsr.defaults import DEFAULT_BIAS


def add_parser(subparsers):
    p = subparsers.add_parser(
        "plot",
        help="plot the attention window or the mixture density of a generated line",
        description="Generate TEXT (or read --ink with its transcription) and plot what the "
        "synthesis network does: 'window' shows phi(t, u), the soft alignment of pen points to "
        "characters (Graves 2013, Fig. 12); 'density' shows the predicted next-point densities "
        "along the line (Fig. 10).",
    )
    p.add_argument("text", help="the text (written by the model, or the transcription of --ink)")
    p.add_argument("--kind", choices=("window", "density"), default="window", help="[window]")
    p.add_argument("--ink", help="plot this ink file instead of a generated line")
    p.add_argument("--out", "-o", default="plot.png", help="output image [plot.png]")
    p.add_argument("--model-dir", help="a synthesis model dir (default: the shipped model)")
    p.add_argument("--bias", type=float, default=DEFAULT_BIAS, help=f"sampling bias [{DEFAULT_BIAS}]")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=run)


def run(args) -> int:
    from hwsr import plots

    if not args.out.lower().endswith((".png", ".svg", ".pdf")):
        raise CLIError(f"{args.out}: use a .png, .svg or .pdf file name")
    synth = load_synthesizer(args.model_dir)
    bad = synth.unwritable_characters([args.text])
    if bad:
        raise cannot_write(bad, hint="leave them out of TEXT")
    if args.ink:
        from hwsr.ink import read_ink

        strokes = read_ink(args.ink)
    else:
        strokes = synth.generate([args.text], bias=args.bias, seed=args.seed)[0]
    if args.kind == "window":
        plots.plot_window(synth, strokes, args.text, args.out)
    else:
        plots.plot_mixture_density(synth, strokes, args.text, args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0
