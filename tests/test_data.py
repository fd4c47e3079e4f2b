"""warmup_course.data: the shipped digits (checksum, split, standardisation) and the synthetic sequence tasks."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pytest
import torch

from warmup_course import data as D


@pytest.fixture(scope="module")
def digits() -> D.ArrayData:
    return D.load_digits()


def test_digits_split_sizes_and_stratification(digits: D.ArrayData) -> None:
    assert len(digits.y_train) == 1437 and len(digits.y_test) == 360
    assert digits.x_train.shape == (1437, 64) and digits.x_train.dtype == torch.float32
    assert digits.num_classes == 10 and digits.y_train.dtype == torch.int64
    counts = torch.bincount(digits.y_test, minlength=10)
    totals = counts + torch.bincount(digits.y_train, minlength=10)
    # every class contributes its share of the test set, within one example
    assert torch.all((counts.double() - 0.2 * totals.double()).abs() <= 1)


def test_digits_standardised_with_training_statistics_only() -> None:
    raw = D.load_digits(standardize=False)
    std = D.load_digits()
    x = raw.x_train.double() * 16
    mean, sd = x.mean(0), x.std(0, unbiased=False)
    sd[sd == 0] = 1
    expected_test = (raw.x_test.double() * 16 - mean) / sd
    assert torch.allclose(std.x_test.double(), expected_test, atol=1e-5)
    assert torch.allclose(std.x_train.mean(0), torch.zeros(64), atol=1e-5)
    varying = x.std(0) > 0
    assert torch.allclose(std.x_train.std(0, unbiased=False)[varying], torch.ones(int(varying.sum())), atol=1e-4)
    assert 0 <= float(raw.x_train.min()) and float(raw.x_train.max()) == 1.0


def test_digits_image_shape_and_split_seed(digits: D.ArrayData) -> None:
    images = D.load_digits(flatten=False)
    assert images.x_train.shape == (1437, 1, 8, 8)
    assert torch.equal(images.x_train.reshape(1437, 64), digits.x_train)
    again = D.load_digits()
    assert torch.equal(again.y_train, digits.y_train) and torch.equal(again.x_test, digits.x_test)
    other = D.load_digits(split_seed=1)
    assert not torch.equal(other.x_test, digits.x_test)


def test_missing_file_names_file_and_fix(tmp_path) -> None:
    missing = tmp_path / "digits.npz"
    with pytest.raises(D.DataFileError) as err:
        D.load_digits(path=missing)
    msg = str(err.value)
    assert str(missing) in msg and "make_digits.py" in msg and "git checkout" in msg


def test_corrupted_file_is_refused(tmp_path) -> None:
    bad = tmp_path / "digits.npz"
    shutil.copy(D.DIGITS_PATH, bad)
    blob = bytearray(bad.read_bytes())
    blob[len(blob) // 2] ^= 0xFF
    bad.write_bytes(bytes(blob))
    with pytest.raises(D.DataFileError, match="sha256") as err:
        D.load_digits(path=bad)
    assert str(bad) in str(err.value) and "make_digits.py" in str(err.value)


def test_checksum_constant_matches_readme() -> None:
    readme = (D.DIGITS_PATH.parent / "README.md").read_text()
    assert D.DIGITS_SHA256 in readme


def test_bad_split_arguments() -> None:
    with pytest.raises(ValueError, match="test_fraction"):
        D.load_digits(test_fraction=1.0)
    with pytest.raises(ValueError, match="split_seed"):
        D.load_digits(split_seed=-1)


def test_array_batches_are_seeded_epochs(digits: D.ArrayData) -> None:
    per_epoch = 1437 // 100
    a = D.ArrayData._batches(torch.arange(1437.0)[:, None], digits.y_train, 100, seed=3)
    seen = torch.cat([next(a)[0][:, 0] for _ in range(per_epoch)])
    assert len(set(seen.tolist())) == per_epoch * 100  # no repeats within an epoch
    b1 = next(digits.batches(64, seed=5))[1]
    b2 = next(digits.batches(64, seed=5))[1]
    b3 = next(digits.batches(64, seed=6))[1]
    assert torch.equal(b1, b2) and not torch.equal(b1, b3)


def test_array_batches_validate(digits: D.ArrayData) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        digits.batches(5000, seed=0)
    with pytest.raises(ValueError, match="batch_size"):
        digits.batches(0, seed=0)
    with pytest.raises(ValueError, match="device"):
        digits.batches(8, seed=0, device="nonsense")


def test_array_data_validates_inputs() -> None:
    x, y = torch.zeros(4, 3), torch.zeros(4, dtype=torch.int64)
    with pytest.raises(ValueError, match="x_train"):
        D.ArrayData(x, y[:3], x, y, 2)
    with pytest.raises(TypeError, match="y_test"):
        D.ArrayData(x, y, x, y.float(), 2)
    with pytest.raises(ValueError, match="y_train"):
        D.ArrayData(x, y + 5, x, y, 2)
    with pytest.raises(ValueError, match="share"):
        D.ArrayData(x, y, torch.zeros(4, 2), y, 2)


def test_vision_dataset_matches_tensors(digits: D.ArrayData) -> None:
    ds = D.DigitsDataset(train=True)
    assert len(ds) == 1437
    x, y = ds[10]
    assert torch.equal(x, digits.x_train[10]) and y == int(digits.y_train[10])
    loader = torch.utils.data.DataLoader(ds, batch_size=32)
    xb, yb = next(iter(loader))
    assert xb.shape == (32, 64) and yb.dtype == torch.int64
    test = D.DigitsDataset(train=False, transform=lambda t: t * 2)
    assert len(test) == 360 and torch.equal(test[0][0], digits.x_test[0] * 2)


@pytest.mark.parametrize("kind", ["reverse", "copy", "sort"])
def test_sequence_targets(kind: str) -> None:
    task = D.SequenceTask(kind=kind, length=7, vocab=5)
    x, y = task.eval_set()
    assert x.shape == y.shape == (1024, 7) and x.dtype == torch.int64
    assert int(x.min()) >= 0 and int(x.max()) < 5
    for xi, yi in zip(x[:20].tolist(), y[:20].tolist()):
        expected = {"reverse": xi[::-1], "copy": xi, "sort": sorted(xi)}[kind]
        assert yi == expected


def test_sequence_streams() -> None:
    task = D.SequenceTask(eval_size=64)
    x_eval, _ = task.eval_set()
    assert torch.equal(x_eval, D.SequenceTask(eval_size=64).eval_set()[0])  # fixed by the task's seed
    assert not torch.equal(x_eval, D.SequenceTask(eval_size=64, seed=1).eval_set()[0])
    first = next(task.batches(64, seed=0))[0]
    assert not torch.equal(first, x_eval)  # training stream differs from the eval stream, even for seed 0
    it = task.batches(8, seed=2)
    a, b = next(it)[0], next(it)[0]
    assert not torch.equal(a, b)  # fresh batches
    assert torch.equal(next(task.batches(8, seed=2))[0], a)
    assert set(task.eval_sets()) == {"test"}
    assert task.chance_loss == pytest.approx(math.log(16))


def test_sequence_task_validation() -> None:
    with pytest.raises(ValueError, match="kind"):
        D.SequenceTask(kind="shuffle")
    with pytest.raises(ValueError, match="vocab"):
        D.SequenceTask(vocab=1)
    with pytest.raises(TypeError, match="length"):
        D.SequenceTask(length=4.0)
    with pytest.raises(ValueError, match="batch_size"):
        D.SequenceTask().batches(0, seed=0)


def test_stratified_split_counts_like_sklearn() -> None:
    target = np.repeat(np.arange(3), [10, 20, 31])
    train, test = D.stratified_split(target, 0.25, seed=0)
    assert len(test) == math.ceil(0.25 * 61) and len(np.intersect1d(train, test)) == 0
    assert len(train) + len(test) == 61
    per_class = np.bincount(target[test])
    assert np.all(np.abs(per_class - 0.25 * np.array([10, 20, 31])) <= 1)


def test_course_modules_do_not_import_torchvision():
    # torchvision.datasets pulls in torchvision.models and torch._dynamo (2-3 s per notebook kernel): the course's
    # modules load it only when DigitsDataset is used.
    import subprocess
    import sys

    code = ("import sys; import warmup_course.data, warmup_course.experiments, warmup_course.plotting, "
            "warmup_course.training, warmup_course.widgets; print('torchvision' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"
