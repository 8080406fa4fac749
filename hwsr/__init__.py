"""hwsr: online handwriting synthesis (Graves 2013) and recognition with TensorFlow/Keras.

    >>> import hwsr
    >>> lines = hwsr.Synthesizer.from_pretrained().write("Hello world", seed=1)
    >>> hwsr.render.save(lines, "hello.svg")
    >>> hwsr.Recognizer.from_pretrained().recognize(lines)[0].text
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# Heavy modules (TensorFlow) load on first use, so `import hwsr` and `hwsr --help` stay fast.
_LAZY = {
    "Alphabet": ("hwsr.alphabet", "Alphabet"),
    "Normalizer": ("hwsr.strokes", "Normalizer"),
    "Synthesizer": ("hwsr.synthesizer", "Synthesizer"),
    "Recognizer": ("hwsr.recognizer", "Recognizer"),
    "render": ("hwsr.render", None),
    "strokes": ("hwsr.strokes", None),
    "ink": ("hwsr.ink", None),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'hwsr' has no attribute {name!r}")
    module, attr = _LAZY[name]
    mod = importlib.import_module(module)
    value = mod if attr is None else getattr(mod, attr)
    globals()[name] = value
    return value
