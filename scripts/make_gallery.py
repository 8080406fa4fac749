"""Makes the README gallery from the shipped models (``make gallery``).

    python scripts/make_gallery.py [--out docs/gallery] [--readme README.md]

Every image is drawn by a model from a fixed seed (nothing is picked by hand or retouched).
The recogniser reads each synthesised image back, and the captions quote what it read and
the character error rate. The block between ``<!-- gallery:start -->`` and
``<!-- gallery:end -->`` in the README is rewritten with the images and captions, so the
README always shows what the shipped models do today.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

START, END = "<!-- gallery:start -->", "<!-- gallery:end -->"
SENTENCE = "Handwriting, by 2 CPU cores: 11,636 lines learnt!"
BIASES = (0.0, 0.5, 1.0, 2.0)
STYLE_TEXT = "The same words in four styles"
PARAGRAPH = (
    "hwsr writes any text you give it. Long text is wrapped into lines, and every line "
    "is written in one batch with the same style and seed."
)
PLOT_TEXT = "attention window"
#: Digits, capitals and punctuation (from the invoice line of issue 12).
DIGITS_TEXT = "Invoice #2047: pay 315.80 by 12/06/2027."
LETTER = (
    "Dear Anna, thank you for the lovely letter. We arrive on Friday 14 May at 6 PM "
    "and stay until Sunday. See you soon! Love, Tom"
)
#: Candidates per line for the recogniser-checked images.
CANDIDATES = 4


def make_gallery(out: Path, synthesis=None, recognition=None, prediction=None, seed: int = 1) -> list[dict]:
    """Draws the gallery images into ``out``; returns ``[{file, title, caption}]``.

    ``synthesis``, ``recognition`` and ``prediction`` are model dirs (None: the shipped ones).
    """
    from hwsr import plots, render
    from hwsr.metrics import character_error_rate
    from hwsr.recognizer import Recognizer
    from hwsr.synthesizer import Synthesizer, scribble

    out.mkdir(parents=True, exist_ok=True)
    synth = Synthesizer.from_dir(synthesis) if synthesis else Synthesizer.from_pretrained()
    reader = Recognizer.from_dir(recognition) if recognition else Recognizer.from_pretrained()
    items = []

    def read_back(lines, texts):
        read = [r.text for r in reader.recognize(lines)]
        cer = character_error_rate(list(texts), read)
        return read, f"read back: {' / '.join(f'“{r}”' for r in read)} (CER {100 * cer:.0f} %)"

    def add(name, title, caption, lines=None):
        if lines is not None:
            render.save(lines, out / name, height=56)
        items.append({"file": name, "title": title, "caption": caption})
        print(f"gallery: {out / name}", file=sys.stderr)

    line = synth.generate(SENTENCE, bias=1.0, seed=seed)
    add("sentence.png", f"“{SENTENCE}” (bias 1, seed {seed})", read_back(line, [SENTENCE])[1], line)

    lines = []
    for bias in BIASES:  # One call per bias: the bias is a scalar of the sampling graph.
        lines += synth.generate(SENTENCE, bias=bias, seed=seed)
    add("bias.png", "Sampling bias " + ", ".join(map(str, BIASES)) + " (top to bottom)",
        read_back(lines, [SENTENCE] * len(lines))[1], lines)

    styles = synth.styles()[:4]
    if styles:
        lines = [synth.generate(STYLE_TEXT, bias=1.0, seed=seed, style=s)[0] for s in styles]
        add("styles.png", "Primed with bundled styles " + ", ".join(map(str, styles)),
            read_back(lines, [STYLE_TEXT] * len(lines))[1], lines)

    lines = synth.write(PARAGRAPH, width=45, bias=1.0, seed=seed)
    add("paragraph.png", "A paragraph, wrapped at 45 characters", read_back(lines, _wrap(PARAGRAPH))[1],
        lines)

    line = synth.generate(DIGITS_TEXT, bias=1.0, seed=seed, candidates=CANDIDATES, recognizer=reader)
    add("digits.png", f"“{DIGITS_TEXT}” (digits and capitals; best of {CANDIDATES} candidates)",
        read_back(line, [DIGITS_TEXT])[1], line)

    lines = synth.write(LETTER, width=40, bias=1.0, seed=seed, candidates=CANDIDATES, recognizer=reader)
    report = lines.report
    add("letter.png", f"A letter: one hand per page, best of {CANDIDATES} candidates per line",
        f"{read_back(lines, _wrap(LETTER, 40))[1]}; {report.second_round_lines} of {len(lines)} "
        "line(s) needed a second round", lines)

    line = synth.generate(PLOT_TEXT, bias=1.0, seed=seed)[0]
    plots.plot_window(synth, line, PLOT_TEXT, str(out / "window.png"))
    add("window.png", "Attention window φ(t, u) (Graves Fig. 12)",
        "Each pen point (x) attends to one character (y); the diagonal is the alignment.")
    plots.plot_mixture_density(synth, line, PLOT_TEXT, str(out / "density.png"))
    add("density.png", "Mixture density of the next pen point (Graves Fig. 10)",
        "Where the network expected each next point, summed over the line.")

    lines = scribble(prediction, num_lines=2, steps=400, bias=0.5, seed=seed)
    add("unconditional.png", "Unconditional samples (prediction network, no text)",
        "Free handwriting: letter-like shapes and word gaps, not words.", lines)
    return items


def _wrap(text, width=45):
    from hwsr.synthesizer import wrap_text

    return wrap_text(text, width)


def gallery_markdown(items: list[dict], folder: str) -> str:
    parts = [START, ""]
    for item in items:
        parts += [f"**{item['title']}**  ", f"![{item['title']}]({folder}/{item['file']})  ",
                  f"{item['caption']}", ""]
    parts.append(END)
    return "\n".join(parts)


def update_readme(readme: Path, block: str) -> None:
    """Replaces the gallery block of ``readme`` (which must have the two markers)."""
    from hwsr.io_utils import atomic_write_text

    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{readme}: no {START} ... {END} block to fill")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    atomic_write_text(readme, head + block + tail)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", default="docs/gallery", help="image folder [docs/gallery]")
    p.add_argument("--readme", default="README.md", help="README to update ('' to skip) [README.md]")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--synthesis", help="synthesis model dir [shipped]")
    p.add_argument("--recognition", help="recognition model dir [shipped]")
    p.add_argument("--prediction", help="prediction model dir [shipped]")
    args = p.parse_args(argv)
    out = Path(args.out)
    items = make_gallery(out, args.synthesis, args.recognition, args.prediction, args.seed)
    if args.readme:
        readme = Path(args.readme)
        update_readme(readme, gallery_markdown(items, os.path.relpath(out, readme.parent)))
        print(f"gallery: updated {readme}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
