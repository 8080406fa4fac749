"""User-facing defaults shared by the Python API and the command line (no heavy imports)."""

#: Sampling bias (Graves 2013, section 5.4) used when none is given. The shipped synthesis
#: model's legibility CER falls steeply from bias 0 to 1 and only a little beyond (README),
#: and at 1 the writing still varies from line to line.
DEFAULT_BIAS = 1.0

#: ``style=`` values of `hwsr.Synthesizer.generate` (and ``hwsr generate``) besides a bundled
#: style id or your own ink: the model's default style (the shipped model's is its most
#: legible bundled style, chosen on training-split texts: README), and a free hand (no
#: priming: every seed draws a new writer, which reads back worse).
DEFAULT_STYLE = "default"
FREE_HAND = "free"
