"""Readers: each turns a file format into a `LineCorpus` or stroke arrays."""
