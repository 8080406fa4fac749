"""A character n-gram language model (interpolated modified Kneser-Ney) and its file format.

The recogniser's beam search (`hwsr.decoding.prefix_beam_search`) asks it for
``log P(next character | the last order - 1 characters)``. The model is stored in backoff form
(as ARPA files are): for each order ``k`` the explicit k-grams with their smoothed log
probabilities, and for each context a backoff weight, so that

    log P(w | h) = log P_k(w | h)                    if (h, w) is explicit at order k = len(h) + 1
                 = log b(h) + log P(w | h[1:])       otherwise (log b(h) = 0 for unseen contexts)

Symbols: 0 is the line start (``BOS``, context only), 1 the line end (``EOS``, predicted), and
2.. the model's characters in order, as in `hwsr.alphabet.Alphabet`. An n-gram is one int64
key (its symbols as base-``S`` digits, ``S = len(characters) + 2``); each order's keys are
sorted, so a batch of queries is a few ``np.searchsorted`` calls.

Smoothing is interpolated modified Kneser-Ney (Chen & Goodman 1998,
https://dash.harvard.edu/handle/1/25104739): three discounts per order from the counts of
counts, continuation counts below the top order, a uniform distribution below the unigrams.
Pruned n-grams (``min_counts``) give their mass back through the backoff weights, which are
computed by normalisation, so every context's distribution sums to 1.

File: a NumPy ``.npz`` read with ``allow_pickle=False`` (`save` / `load`), holding
``format``, ``characters``, ``order``, ``meta`` (JSON), ``unigram_logp``, and per order k >= 2
``keys_k``, ``logp_k``, ``context_keys_k``, ``context_logbow_k``, plus an optional
``lexicon`` (UTF-8 words, one per line).
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Iterable, Sequence

import numpy as np

FORMAT = "hwsr.char_ngram_lm/1"
BOS = 0
EOS = 1
FIRST_CHARACTER = 2
#: Highest order whose keys fit in int64 for up to 126 characters.
MAX_ORDER = 8


class LanguageModelError(ValueError):
    """An unreadable, empty or malformed language-model file (the message names the file)."""


def _discounts(counts: np.ndarray) -> np.ndarray:
    """Modified Kneser-Ney discounts ``[0, D1, D2, D3+]`` from an order's counts of counts."""
    n = [int(np.sum(counts == i)) for i in range(1, 5)]
    if n[0] == 0 or n[1] == 0:
        return np.array([0.0, 0.5, 1.0, 1.5])  # Too little data for the estimate: fixed values.
    y = n[0] / (n[0] + 2 * n[1])
    d = [1 - 2 * y * n[1] / n[0], 2 - 3 * y * n[2] / n[1], 3 - 4 * y * n[3] / max(n[2], 1)]
    return np.array([0.0] + [float(np.clip(v, 0.0, i + 1)) for i, v in enumerate(d)])


class CharNgramLM:
    """A character n-gram model in backoff form; build it with `CharNgramLM.estimate` or `load`.

    Args:
        characters: the characters, in symbol order (symbol ``2 + i`` is ``characters[i]``).
        order: n-gram order (history length ``order - 1``).
        unigram_logp: ``[S]`` log unigram probabilities (``-inf`` for ``BOS``).
        tables: ``{k: (keys, logp, context_keys, context_logbow)}`` for ``k = 2..order``.
        lexicon: optional word list (lowercase) for the decoder's out-of-lexicon penalty.
        meta: free-form JSON-able facts (what it was trained on).
    """

    def __init__(self, characters: str, order: int, unigram_logp: np.ndarray, tables: dict,
                 lexicon: Iterable[str] | None = None, meta: dict | None = None):
        if not 1 <= order <= MAX_ORDER:
            raise ValueError(f"order must be in 1..{MAX_ORDER}, got {order}")
        if len(set(characters)) != len(characters) or not characters:
            raise ValueError("characters must be a non-empty string without duplicates")
        self.characters = characters
        self.order = int(order)
        self.num_symbols = len(characters) + FIRST_CHARACTER
        self.unigram_logp = np.asarray(unigram_logp, np.float64)
        self.tables = {k: tuple(np.asarray(a) for a in tables[k]) for k in range(2, order + 1)}
        self.lexicon = frozenset(lexicon) if lexicon is not None else None
        self.meta = dict(meta or {})
        self.path: str | None = None  # The file `load` read it from.
        self._powers = self.num_symbols ** np.arange(max(order - 1, 1) - 1, -1, -1, dtype=np.int64)
        self._ids = {c: i + FIRST_CHARACTER for i, c in enumerate(characters)}

    def __repr__(self) -> str:
        sizes = "+".join(str(len(self.tables[k][0])) for k in range(2, self.order + 1))
        return f"CharNgramLM(order={self.order}, {len(self.characters)} characters, n-grams {sizes})"

    @property
    def num_ngrams(self) -> int:
        return len(self.unigram_logp) + sum(len(t[0]) for t in self.tables.values())

    def symbols(self, text: str) -> np.ndarray:
        """The symbols of ``text`` (characters outside the model's are an error)."""
        try:
            return np.array([self._ids[c] for c in text], np.int64)
        except KeyError as e:
            raise ValueError(f"character {e.args[0]!r} is not in the language model") from None

    def contexts(self, texts: Sequence[str]) -> np.ndarray:
        """``[N, order - 1]`` histories (``BOS``-padded on the left) that follow each text."""
        out = np.full([len(texts), self.order - 1], BOS, np.int64)
        for i, t in enumerate(texts):
            ids = self.symbols(t)[-(self.order - 1):] if self.order > 1 else []
            if len(ids):
                out[i, -len(ids):] = ids
        return out

    def _keys(self, contexts: np.ndarray, length: int) -> np.ndarray:
        """Base-S keys of the last ``length`` symbols of each history."""
        if length == 0:
            return np.zeros(len(contexts), np.int64)
        return contexts[:, -length:] @ self._powers[-length:]

    @staticmethod
    def _find(sorted_keys: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions of ``keys`` in ``sorted_keys`` and whether each was found."""
        pos = np.searchsorted(sorted_keys, keys)
        pos = np.minimum(pos, max(len(sorted_keys) - 1, 0))
        found = sorted_keys[pos] == keys if len(sorted_keys) else np.zeros(len(keys), bool)
        return pos, found

    def log_prob(self, contexts, words) -> np.ndarray:
        """``log P(words[i] | contexts[i])`` (natural log) for a batch of queries.

        Args:
            contexts: ``[N, order - 1]`` symbol histories, oldest first (see `contexts`).
            words: ``[N]`` predicted symbols (``EOS`` or characters).
        """
        contexts = np.asarray(contexts, np.int64).reshape(len(words), max(self.order - 1, 0))
        words = np.asarray(words, np.int64)
        out = self.unigram_logp[words]
        for k in range(2, self.order + 1):
            keys, logp, context_keys, context_logbow = self.tables[k]
            ctx = self._keys(contexts, k - 1)
            pos, found = self._find(keys, ctx * self.num_symbols + words)
            cpos, cfound = self._find(context_keys, ctx)
            bow = np.where(cfound, context_logbow[cpos] if len(context_keys) else 0.0, 0.0)
            out = np.where(found, logp[pos] if len(keys) else 0.0, bow + out)
        return out

    def log_probs(self, contexts) -> np.ndarray:
        """``[N, S]`` log probabilities of every symbol after each history (``BOS`` is -inf).

        The same numbers as `log_prob` for every symbol, computed per history: each order adds
        the history's backoff weight, then overwrites the symbols explicit after it (a k-gram
        table holds a history's n-grams in one contiguous run of keys).
        """
        contexts = np.asarray(contexts, np.int64).reshape(-1, max(self.order - 1, 0))
        n, s = len(contexts), self.num_symbols
        out = np.repeat(self.unigram_logp[np.newaxis], n, axis=0)
        for k in range(2, self.order + 1):
            keys, logp, context_keys, context_logbow = self.tables[k]
            ctx = self._keys(contexts, k - 1)
            cpos, cfound = self._find(context_keys, ctx)
            if len(context_keys):
                out += np.where(cfound, context_logbow[cpos], 0.0)[:, np.newaxis]
            lo = np.searchsorted(keys, ctx * s)
            runs = np.searchsorted(keys, ctx * s + s) - lo
            if runs.sum():
                rows = np.repeat(np.arange(n), runs)
                idx = np.arange(runs.sum()) - np.repeat(np.cumsum(runs) - runs - lo, runs)
                out[rows, keys[idx] % s] = logp[idx]
        return out

    def score_text(self, text: str) -> float:
        """``log P(text, EOS | BOS)``: the whole line's log probability."""
        ids = np.concatenate([np.full(self.order - 1, BOS, np.int64), self.symbols(text), [EOS]])
        n = self.order - 1
        contexts = np.lib.stride_tricks.sliding_window_view(ids[:-1], n) if n else np.zeros([len(ids) - n, 0])
        return float(self.log_prob(contexts[: len(ids) - n], ids[n:]).sum())

    # Estimation --------------------------------------------------------------------------------

    @classmethod
    def estimate(cls, lines: Sequence[str], characters: str, order: int = 6,
                 weights: Sequence[int] | None = None, min_counts: dict | None = None,
                 lexicon: Iterable[str] | None = None, meta: dict | None = None) -> CharNgramLM:
        """Counts n-grams of ``lines`` and smooths them with interpolated modified Kneser-Ney.

        Args:
            lines: training lines (each padded with ``BOS`` and ended with ``EOS``).
            characters: the model's characters; other characters in the lines are dropped.
            order: n-gram order.
            weights: integer count of each line (default 1 each).
            min_counts: ``{k: c}``: drop explicit k-grams (k >= 2) counted fewer than ``c``
                times (their mass goes to the backoff); default keeps everything.
            lexicon, meta: stored with the model.
        """
        s = len(characters) + FIRST_CHARACTER
        ids = {c: i + FIRST_CHARACTER for i, c in enumerate(characters)}
        weights = np.ones(len(lines), np.int64) if weights is None else np.asarray(weights, np.int64)
        if len(weights) != len(lines):
            raise ValueError(f"{len(weights)} weights for {len(lines)} lines")
        # Top-order counts: one window per predicted symbol.
        pad = [BOS] * (order - 1)
        powers = s ** np.arange(order - 1, -1, -1, dtype=np.int64)
        chunks, chunk_weights = [], []
        for line, w in zip(lines, weights):
            seq = np.array(pad + [ids[c] for c in line if c in ids] + [EOS], np.int64)
            windows = np.lib.stride_tricks.sliding_window_view(seq, order)
            chunks.append(windows @ powers)
            chunk_weights.append(np.full(len(windows), w, np.int64))
        all_keys = np.concatenate(chunks) if chunks else np.zeros(0, np.int64)
        keys, inverse = np.unique(all_keys, return_inverse=True)
        counts = {order: (keys, np.bincount(inverse, np.concatenate(chunk_weights) if chunks else None,
                                            minlength=len(keys)).astype(np.int64))}
        # Lower orders: continuation counts (distinct left extensions).
        for k in range(order - 1, 0, -1):
            suffixes = counts[k + 1][0] % s**k
            counts[k] = np.unique(suffixes, return_counts=True)
        # Unigrams: interpolated with the uniform distribution over EOS + characters.
        keys1, c1 = counts[1]
        d = _discounts(c1)
        total = c1.sum()
        p1 = np.zeros(s)
        np.add.at(p1, keys1, np.maximum(c1 - d[np.minimum(c1, 3)], 0) / total)
        gamma = (d[np.minimum(c1, 3)]).sum() / total
        p1[EOS:] += gamma / (s - 1)
        p1[BOS] = 0.0
        with np.errstate(divide="ignore"):
            unigram = np.log(p1)
        lm = cls(characters, 1, unigram, {}, lexicon, meta)
        tables = {}
        min_counts = min_counts or {}
        for k in range(2, order + 1):
            keys_k, c_k = counts[k]
            d = _discounts(c_k)
            ctx = keys_k // s
            words = keys_k % s
            # Per-context totals and discount mass; contexts come sorted with the keys.
            ctx_keys, ctx_index = np.unique(ctx, return_inverse=True)
            ctx_total = np.bincount(ctx_index, c_k).astype(np.float64)
            ctx_discount = np.bincount(ctx_index, d[np.minimum(c_k, 3)])
            gamma = ctx_discount / ctx_total
            lower = lm.log_prob(cls._digits(ctx % s ** (k - 2), k - 2, s), words)  # P_{k-1}(w | h[1:])
            p = np.maximum(c_k - d[np.minimum(c_k, 3)], 0) / ctx_total[ctx_index] \
                + gamma[ctx_index] * np.exp(lower)
            keep = c_k >= int(min_counts.get(k, 1))
            kept_p = np.bincount(ctx_index, np.where(keep, p, 0.0), minlength=len(ctx_keys))
            kept_lower = np.bincount(ctx_index, np.where(keep, np.exp(lower), 0.0), minlength=len(ctx_keys))
            with np.errstate(divide="ignore", invalid="ignore"):
                logbow = np.log(np.maximum(1.0 - kept_p, 1e-12)) - np.log(np.maximum(1.0 - kept_lower, 1e-12))
            used = np.bincount(ctx_index, keep, minlength=len(ctx_keys)) > 0
            tables[k] = (keys_k[keep], np.log(p[keep]), ctx_keys[used], logbow[used])
            lm = cls(characters, k, unigram, tables, lexicon, meta)
        return lm

    @staticmethod
    def _digits(keys: np.ndarray, length: int, s: int) -> np.ndarray:
        """``[N, length]`` symbols of base-S keys of ``length`` digits, oldest first."""
        out = np.zeros([len(keys), length], np.int64)
        rest = keys.copy()
        for i in range(length):
            out[:, length - 1 - i] = rest % s
            rest //= s
        return out

    # File format -------------------------------------------------------------------------------

    def save(self, path: str | os.PathLike, dtype=np.float32) -> None:
        """Writes the model as a compressed ``.npz`` (atomically); ``dtype`` of the log probs."""
        from hwsr.io_utils import atomic_file

        arrays = {
            "format": np.array(FORMAT),
            "characters": np.array(self.characters),
            "order": np.array(self.order, np.int64),
            "meta": np.array(json.dumps(self.meta, sort_keys=True)),
            "unigram_logp": self.unigram_logp.astype(np.float32),
        }
        for k, (keys, logp, context_keys, context_logbow) in self.tables.items():
            arrays[f"keys_{k}"] = keys.astype(np.int64)
            arrays[f"logp_{k}"] = logp.astype(dtype)
            arrays[f"context_keys_{k}"] = context_keys.astype(np.int64)
            arrays[f"context_logbow_{k}"] = context_logbow.astype(dtype)
        if self.lexicon is not None:
            arrays["lexicon"] = np.frombuffer("\n".join(sorted(self.lexicon)).encode("utf-8"), np.uint8)
        with atomic_file(path, suffix=".npz") as tmp:
            np.savez_compressed(tmp, **arrays)

    @classmethod
    def load(cls, path: str | os.PathLike) -> CharNgramLM:
        """Reads a model written by `save` (never unpickles).

        Raises:
            LanguageModelError: the file is missing, empty, not an npz, or not a valid model.
        """
        def bad(reason: str) -> LanguageModelError:
            return LanguageModelError(f"{path}: not a usable hwsr language model ({reason})")

        try:
            if os.path.getsize(path) == 0:
                raise bad("the file is empty")
            with np.load(path, allow_pickle=False) as z:
                data = {name: z[name] for name in z.files}
        except FileNotFoundError:
            raise LanguageModelError(f"{path}: no such language-model file") from None
        except (OSError, ValueError, EOFError, zipfile.BadZipFile, KeyError) as e:
            if isinstance(e, LanguageModelError):
                raise
            raise bad(f"cannot read it as .npz: {e}") from None
        try:
            if str(data["format"]) != FORMAT:
                raise bad(f"format {str(data['format'])!r}, expected {FORMAT!r}")
            characters, order = str(data["characters"]), int(data["order"])
            meta = json.loads(str(data["meta"]))
            s = len(characters) + FIRST_CHARACTER
            tables = {}
            for k in range(2, order + 1):
                keys, logp, context_keys, context_logbow = (
                    data[f"{name}_{k}"] for name in ("keys", "logp", "context_keys", "context_logbow"))
                if len(keys) != len(logp) or len(context_keys) != len(context_logbow):
                    raise bad(f"order {k}: arrays of different lengths")
                for name, a in (("keys", keys), ("context keys", context_keys)):
                    if a.dtype != np.int64 or a.ndim != 1 or (np.diff(a) <= 0).any() \
                            or (len(a) and (a[0] < 0 or a[-1] >= s ** (k if name == "keys" else k - 1))):
                        raise bad(f"order {k}: {name} are not sorted symbol keys")
                if not (np.isfinite(logp).all() and np.isfinite(context_logbow).all()) or (logp > 1e-3).any():
                    raise bad(f"order {k}: log probabilities are not finite and <= 0")
                tables[k] = (keys, logp.astype(np.float64), context_keys, context_logbow.astype(np.float64))
            unigram = data["unigram_logp"].astype(np.float64)
            if unigram.shape != (s,) or not np.isfinite(unigram[EOS:]).all():
                raise bad(f"unigram_logp must hold {s} finite values after BOS")
            unigram[BOS] = -np.inf
            lexicon = None
            if "lexicon" in data:
                lexicon = bytes(data["lexicon"]).decode("utf-8").split("\n")
            lm = cls(characters, order, unigram, tables, lexicon, meta)
            lm.path = os.fspath(path)
            return lm
        except LanguageModelError:
            raise
        except (KeyError, ValueError, TypeError, UnicodeDecodeError, json.JSONDecodeError) as e:
            raise bad(f"{type(e).__name__}: {e}") from None


def shipped_path(pretrained_dir=None):
    """Where the shipped model lives (``<pretrained_dir>/lm/lm.npz``, by default in
    ``hwsr/pretrained``); the file may be absent."""
    from pathlib import Path

    if pretrained_dir is None:
        from hwsr.model_dir import PRETRAINED_DIR as pretrained_dir
    return Path(pretrained_dir) / "lm" / "lm.npz"
