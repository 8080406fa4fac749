"""``make demo``: write a sentence with the shipped synthesis model and read it back with the
shipped recogniser (no download: both ship inside the package)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from hwsr.console import CLIError, run_command
from hwsr.defaults import DEFAULT_BIAS

DEFAULT_TEXT = "Quick brown foxes jump over 12 lazy dogs!"


def demo(text: str, out: Path, seed: int = 1, bias: float = DEFAULT_BIAS) -> dict:
    """Writes ``text`` to ``out/demo.svg`` and ``out/demo.png`` and reads it back.

    Returns ``{"lines", "points", "seconds", "read", "cer"}``.
    """
    from hwsr import render
    from hwsr.metrics import character_error_rate
    from hwsr.model_dir import ModelDirError
    from hwsr.recognizer import Recognizer
    from hwsr.synthesizer import Synthesizer

    try:
        synth, reader = Synthesizer.from_pretrained(), Recognizer.from_pretrained()
    except ModelDirError as e:
        raise CLIError(str(e), hint="reinstall hwsr (pip install -e .): the shipped models are part of it"
                       ) from e
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    lines = synth.write(text, bias=bias, seed=seed)
    seconds = time.perf_counter() - start
    render.save(lines, out / "demo.svg")
    render.save(lines, out / "demo.png")
    read = " ".join(r.text for r in reader.recognize(lines))
    return {"lines": lines, "points": sum(map(len, lines)), "seconds": seconds, "read": read,
            "cer": character_error_rate([text], [read])}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m hwsr.demo", description=__doc__)
    p.add_argument("--text", default=DEFAULT_TEXT)
    p.add_argument("--out", default="out", help="output folder [out]")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--bias", type=float, default=DEFAULT_BIAS)
    p.add_argument("--debug", action="store_true", help="show tracebacks")
    args = p.parse_args(argv)
    out = Path(args.out)

    def run() -> int:
        result = demo(args.text, out, args.seed, args.bias)
        print(f"wrote {out / 'demo.svg'} and {out / 'demo.png'} "
              f"({result['points']} points, {result['seconds']:.1f} s)")
        print(f"text:       {args.text}")
        print(f"read back:  {result['read']}")
        print(f"CER:        {100 * result['cer']:.1f} %")
        return 0

    return run_command("demo", run, debug=args.debug)


if __name__ == "__main__":
    sys.exit(main())
