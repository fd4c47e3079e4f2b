"""The shipped text corpus and its loader: hash-checked, deterministic batches, next-character targets."""

from __future__ import annotations

import hashlib
import math
import re
from pathlib import Path

import pytest
import torch

from warmup_course import doctor
from warmup_course.data import SHAKESPEARE_PATH, SHAKESPEARE_SHA256, DataFileError, TextCorpus, load_text

ROOT = Path(__file__).resolve().parents[1]


def test_the_shipped_file_matches_the_hash_in_the_code_and_in_the_data_readme():
    digest = hashlib.sha256(SHAKESPEARE_PATH.read_bytes()).hexdigest()
    assert digest == SHAKESPEARE_SHA256
    assert SHAKESPEARE_SHA256 in (ROOT / "data" / "README.md").read_text(encoding="utf-8")


def test_the_corpus_is_plain_text_with_speakers_and_no_markup():
    text = SHAKESPEARE_PATH.read_text(encoding="ascii")
    assert 100_000 <= len(text) <= 300_000
    assert "HAMLET:\n" in text and "MACBETH:\n" in text
    assert not re.search(r"[*_#\[\]]", text), "Markdown markup or stage-direction brackets left in the corpus"


def test_vocabulary_split_and_chance_loss():
    c = load_text()
    assert c.vocab == sorted(set(c.text)) and c.vocab_size == 63
    assert math.isclose(c.chance_loss, math.log(63))
    assert len(c.train_ids) + len(c.val_ids) == len(c.text)
    assert abs(len(c.val_ids) / len(c.text) - 0.1) < 1e-4
    assert c.decode(c.encode("HAMLET: To be")) == "HAMLET: To be"
    # ids really are the characters of the text, in order, on both sides of the split
    assert c.decode(c.train_ids[:40]) == c.text[:40]
    assert c.decode(c.val_ids[-40:]) == c.text[-40:]


def test_batches_are_seeded_windows_with_targets_shifted_by_one():
    c = load_text(context=12)
    a = next(c.batches(8, seed=3))
    b = next(c.batches(8, seed=3))
    other = next(c.batches(8, seed=4))
    assert torch.equal(a[0], b[0]) and not torch.equal(a[0], other[0])
    x, y = a
    assert x.shape == y.shape == (8, 12) and x.dtype == y.dtype == torch.int64
    assert torch.equal(x[:, 1:], y[:, :-1])
    for row_x, row_y in zip(x, y):  # each window is a real stretch of the training text
        window = c.decode(row_x) + c.decode(row_y[-1:])
        assert window in c.text[: len(c.train_ids)]


def test_the_validation_windows_are_fixed_and_come_from_the_held_out_end():
    c = load_text(eval_windows=64)
    (x1, y1), (x2, y2) = c.eval_set(), c.eval_set()
    assert torch.equal(x1, x2) and x1.shape == (64, 16)
    held_out = c.text[len(c.train_ids):]
    assert all(c.decode(row) in held_out for row in x1[:5])
    assert set(c.eval_sets()) == {"val"}


def test_bad_arguments_name_the_parameter(tmp_path):
    with pytest.raises(ValueError, match="context"):
        load_text(context=0)
    with pytest.raises(ValueError, match="val_fraction"):
        load_text(val_fraction=1.0)
    with pytest.raises(TypeError, match="verify"):
        load_text(verify="no")
    with pytest.raises(TypeError, match="text"):
        TextCorpus(b"bytes")
    with pytest.raises(ValueError, match="outside the corpus vocabulary"):
        load_text().encode("é")
    with pytest.raises(ValueError, match="too few"):
        TextCorpus("abcabc", context=8)


def test_a_missing_or_altered_file_names_the_file_and_how_to_restore_it(tmp_path, monkeypatch):
    import warmup_course.data as data

    altered = tmp_path / "shakespeare.txt"
    altered.write_text(SHAKESPEARE_PATH.read_text() + "x")
    monkeypatch.setattr(data, "SHAKESPEARE_PATH", altered)
    with pytest.raises(DataFileError, match=r"shakespeare\.txt.*git checkout"):
        data.load_text()
    assert doctor.check_text().status == doctor.FAIL
    monkeypatch.setattr(data, "SHAKESPEARE_PATH", tmp_path / "gone.txt")
    with pytest.raises(DataFileError, match="missing"):
        data.load_text()


def test_the_doctor_checks_the_corpus():
    check = doctor.check_text()
    assert check.status == doctor.OK and "checksum OK" in check.detail


def test_the_two_plays_share_the_vocabulary_of_the_whole_file():
    whole, hamlet, macbeth = load_text(), load_text(play="hamlet"), load_text(play="macbeth")
    assert hamlet.vocab == macbeth.vocab == whole.vocab
    assert hamlet.text.startswith("BERNARDO:") and macbeth.text.startswith("FIRST WITCH:")
    assert hamlet.text + macbeth.text == whole.text
    assert "MACBETH:" not in hamlet.text and "HAMLET:" not in macbeth.text
    with pytest.raises(ValueError, match="play"):
        load_text(play="lear")
    with pytest.raises(ValueError, match="alphabet"):
        TextCorpus("abcabcabcabcabcabcabcabcabcabc", context=2, alphabet="ab")


def test_reference_losses_order_uniform_unigram_bigram():
    c = load_text()
    ref = c.reference_losses()
    assert c.chance_loss > ref["unigram"] > ref["bigram"] > 1.5
    # the unigram loss is the entropy of the training character frequencies, evaluated on validation text
    assert abs(ref["unigram"] - 3.3) < 0.1
