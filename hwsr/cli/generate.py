"""``hwsr generate``: write text in handwriting (SVG, PNG, or stroke arrays)."""

from __future__ import annotations

import json
import os
import sys

from hwsr.cli.models import load_synthesizer, model_errors
from hwsr.console import CLIError
from hwsr.defaults import DEFAULT_BIAS, DEFAULT_STYLE, FREE_HAND

FORMATS = (".svg", ".png", ".npz", ".json", ".inkml")


def add_parser(subparsers):
    p = subparsers.add_parser(
        "generate",
        help="write text in handwriting",
        description="Write TEXT in handwriting with the synthesis model (the shipped default "
        "unless --model-dir is given). Long text is wrapped into lines of --width characters, "
        "written in one batch with one style.",
        epilog='example: hwsr generate "Some text" --style 3 --bias 0.75 --seed 1 --out hello.svg',
    )
    p.add_argument("text", nargs="?", help="the text to write ('-' or omitted: read stdin)")
    p.add_argument("--out", "-o", default="handwriting.svg",
                   help=f"output file; the format follows the extension {FORMATS} [handwriting.svg]")
    p.add_argument("--model-dir", help="a synthesis model dir (default: the shipped model)")
    p.add_argument("--bias", type=float, default=DEFAULT_BIAS,
                   help=f"sampling bias: 0 = most varied, 1 = neat, 2+ = very regular [{DEFAULT_BIAS}]")
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed, same output) [0]")
    p.add_argument("--temperature", type=float, default=1.0, help="extra temperature [1.0]")
    p.add_argument("--style", type=int, help="bundled style id to imitate (see --list-styles; "
                   "default: the model's default style, the shipped model's most legible one)")
    p.add_argument("--free-hand", action="store_true",
                   help="no style: every seed draws a new hand (reads back less well)")
    p.add_argument("--style-file", help="your own ink (InkML/JSON/IAM XML/npz) to imitate")
    p.add_argument("--style-text", help="the transcription of --style-file (default: the one stored "
                   "in the file, InkML <annotation type=\"transcription\"> or JSON \"text\")")
    p.add_argument("--list-styles", action="store_true", help="print the bundled style ids and exit")
    p.add_argument("--unconditional", action="store_true",
                   help="no text: free handwriting from the prediction network (Graves section 4); "
                   "--model-dir then names a prediction model dir")
    p.add_argument("--lines", type=int, default=1, help="with --unconditional: lines to sample [1]")
    p.add_argument("--steps", type=int, default=700,
                   help="with --unconditional: points per line at the model's density [700]")
    p.add_argument("--width", type=int, default=40, help="wrap lines at this many characters [40]")
    p.add_argument("--candidates", type=int, default=0, metavar="N",
                   help="write N candidates of each line in one batch and keep the one the shipped "
                   "recogniser reads best; a line that still reads badly is written again (new "
                   "seed, then a higher bias) [0: write each line once]")
    p.add_argument("--drop-unknown", action="store_true",
                   help="drop characters the model cannot write instead of failing")
    p.add_argument("--stroke-width", type=float, default=2.0, help="SVG/PNG pen width [2]")
    p.add_argument("--color", default="black", help="SVG ink colour [black]")
    p.add_argument("--line-height", type=float, default=60, help="pixels per text line [60]")
    p.set_defaults(func=run)


def output_format(path: str) -> str:
    """The extension of ``path``, one of `FORMATS`."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS:
        raise CLIError(f"{path}: unknown output format {ext!r}; use one of {', '.join(FORMATS)}")
    return ext


def save_lines(lines, path, stroke_width=2.0, color="black", line_height=60.0, texts=None):
    """Writes lines of strokes to ``path`` by extension: a drawing (SVG, PNG) or ink that
    keeps the lines apart, with their texts (`hwsr.ink.write_page`)."""
    ext = output_format(path)
    from hwsr import render

    if ext == ".svg":
        render.save(lines, path, stroke_width=stroke_width, color=color, height=line_height, texts=texts)
    elif ext == ".png":
        render.save(lines, path, stroke_width=stroke_width, height=int(line_height))
    else:
        from hwsr import ink

        ink.write_page(path, ink.lines_on_page(lines, texts))


def cannot_write(bad: list[str], hint: str) -> CLIError:
    """The error for text with characters the model cannot write (``bad``)."""
    return CLIError(f"the text has {len(bad)} character(s) the model cannot write: "
                    f"{', '.join(map(repr, bad))}", hint=hint)


def style_of(args, synth):
    """What ``generate(style=...)`` takes for --style / --style-file / --free-hand, checked."""
    if args.free_hand:
        return FREE_HAND
    if args.style is not None:
        if args.style not in synth.styles():
            raise CLIError(f"--style {args.style}: no such bundled style; the model has "
                           f"{', '.join(map(str, synth.styles())) or 'none'}",
                           hint="'hwsr generate --list-styles' lists them; --style-file INK "
                           "--style-text TEXT imitates your own ink")
        return args.style
    if not args.style_file:
        return DEFAULT_STYLE
    if not os.path.isfile(args.style_file):
        raise CLIError(f"--style-file {args.style_file}: no such file")
    from hwsr.ink import read_ink, read_transcription

    text = args.style_text or read_transcription(args.style_file)
    if not text:
        raise CLIError(f"--style-file {args.style_file}: the file holds no transcription",
                       hint="pass --style-text with the text that ink writes")
    bad = synth.unwritable_characters([text])
    if bad and synth.alphabet.unknown == "error":
        raise CLIError("the style's text has character(s) the model cannot write: "
                       f"{', '.join(map(repr, bad))}",
                       hint="give the transcription in characters the model knows "
                       "(see its alphabet.json)")
    return read_ink(args.style_file), text


def run(args) -> int:
    text = args.text
    if args.list_styles:
        synth = load_synthesizer(args.model_dir)
        print(json.dumps({"styles": synth.styles(), "default": synth.default_style}))
        return 0
    output_format(args.out)  # Before any slow work.
    from hwsr.inference.sampling_args import check_sampling_args

    check_sampling_args(bias=args.bias, temperature=args.temperature, seed=args.seed,
                        max_steps=args.steps if args.unconditional else None)
    from hwsr.io_utils import unwritable_reason

    if problem := unwritable_reason(args.out):
        raise CLIError(f"--out {args.out}: cannot write there ({problem})",
                       hint="pass --out with a path in a folder you can write to")
    if args.unconditional:
        if text is not None:
            raise CLIError("--unconditional writes no text; drop the TEXT argument")
        from hwsr.synthesizer import scribble

        with model_errors(args.model_dir, "unconditional_handwriting"):
            lines = scribble(args.model_dir, args.lines, args.steps, args.bias, args.seed,
                             args.temperature)
        save_lines(lines, args.out, args.stroke_width, args.color, args.line_height)
        print(f"wrote {len(lines)} line(s) to {args.out}", file=sys.stderr)
        return 0
    if text is None or text == "-":
        text = sys.stdin.read()
    if not text or not text.strip():
        raise CLIError("no text to write (give it as an argument or on stdin)")
    if sum([args.style is not None, bool(args.style_file), args.free_hand]) > 1:
        raise CLIError("use one of --style, --style-file and --free-hand")
    if args.candidates < 0:
        raise CLIError(f"--candidates must be >= 0, got {args.candidates}")
    synth = load_synthesizer(args.model_dir)
    from hwsr.alphabet import UnknownCharacterError
    from hwsr.synthesizer import wrap_text

    style = style_of(args, synth)
    lines_text = wrap_text(text, args.width)
    try:
        lines = synth.generate(
            lines_text,
            bias=args.bias,
            seed=args.seed,
            temperature=args.temperature,
            style=style,
            unknown="drop" if args.drop_unknown else None,
            candidates=args.candidates,
            one_hand=True,
        )
    except UnknownCharacterError as e:
        raise cannot_write(synth.unwritable_characters(lines_text),
                           hint="pass --drop-unknown to leave them out") from e
    save_lines(lines, args.out, args.stroke_width, args.color, args.line_height, texts=lines_text)
    print(f"wrote {len(lines)} line(s) to {args.out}", file=sys.stderr)
    if args.candidates:
        report = lines.report
        print(f"candidates: {report.second_round_lines} of {len(lines)} line(s) needed a second "
              f"round, {report.failed_lines} still read(s) badly; {report.reads} candidate(s) read back",
              file=sys.stderr)
    return 0
