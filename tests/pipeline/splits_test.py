"""Tests for pipeline/splits.py (imported as hwsr.pipeline.splits)."""

from __future__ import annotations

import pytest

from hwsr.pipeline.corpus import form_id
from hwsr.pipeline.splits import split_by_form


def _ids(num_forms: int, lines_per_form: int = 4) -> list[str]:
    forms = [f"a{f // 100:02d}-{f % 100:03d}u" for f in range(num_forms)]
    return [f"{form}-{k:02d}" for form in forms for k in range(1, lines_per_form + 1)]


def test_every_line_lands_in_exactly_one_split():
    ids = _ids(200)
    split = split_by_form(ids, validation_fraction=0.2)
    assert sorted(split["train"] + split["validation"]) == list(range(len(ids)))
    assert split["train"] and split["validation"]


def test_all_lines_of_a_form_share_a_split():
    ids = _ids(200)
    split = split_by_form(ids, validation_fraction=0.3, seed=3)
    val_forms = {form_id(ids[i]) for i in split["validation"]}
    train_forms = {form_id(ids[i]) for i in split["train"]}
    assert not val_forms & train_forms


def test_fraction_is_about_right_and_seed_changes_the_split():
    ids = _ids(2000, lines_per_form=1)
    a = split_by_form(ids, validation_fraction=0.1, seed=0)
    b = split_by_form(ids, validation_fraction=0.1, seed=1)
    assert 0.07 < len(a["validation"]) / len(ids) < 0.13
    assert a["validation"] != b["validation"]


def test_deterministic_and_independent_of_order_and_of_other_lines():
    ids = _ids(300)
    base = split_by_form(ids, 0.2, seed=5)
    val_ids = {ids[i] for i in base["validation"]}
    again = split_by_form(ids, 0.2, seed=5)
    assert again == base
    shuffled = ids[::-1]
    rev = split_by_form(shuffled, 0.2, seed=5)
    assert {shuffled[i] for i in rev["validation"]} == val_ids
    # Dropping half of the forms does not move the others.
    half = [i for i in ids if int(i[4:7]) % 2 == 0]
    sub = split_by_form(half, 0.2, seed=5)
    assert {half[i] for i in sub["validation"]} == {i for i in val_ids if i in set(half)}


def test_zero_fraction_puts_everything_in_train():
    ids = _ids(50)
    split = split_by_form(ids, validation_fraction=0.0)
    assert split["validation"] == [] and len(split["train"]) == len(ids)


@pytest.mark.parametrize("fraction", [-0.1, 1.0, 1.5])
def test_bad_fraction_is_rejected(fraction):
    with pytest.raises(ValueError, match="validation_fraction"):
        split_by_form(["a01-000u-01"], validation_fraction=fraction)


def test_form_id_handles_forms_with_and_without_writer_suffix():
    assert form_id("a01-000u-01") == "a01-000u"
    assert form_id("a01-003-07") == "a01-003"
    assert form_id("n10-255z-10") == "n10-255z"


def test_real_line_ids_split_by_form(shared_data):
    ids = (shared_data / "iam_ondb_lines" / "line_ids.txt").read_text(encoding="utf-8").split()
    split = split_by_form(ids, validation_fraction=0.05)
    forms = {form_id(i) for i in ids}
    val_forms = {form_id(ids[i]) for i in split["validation"]}
    assert not val_forms & {form_id(ids[i]) for i in split["train"]}
    assert 0.03 < len(val_forms) / len(forms) < 0.07
    assert sorted(split["train"] + split["validation"]) == list(range(len(ids)))
