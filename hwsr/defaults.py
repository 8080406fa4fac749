"""User-facing defaults shared by the Python API and the command line (no heavy imports)."""

#: Sampling bias (Graves 2013, section 5.4) used when none is given. The shipped synthesis
#: model's legibility CER falls steeply from bias 0 to 1 and only a little beyond (README),
#: and at 1 the writing still varies from line to line.
DEFAULT_BIAS = 1.0
