"""Data for the course: the shipped 8x8 digits and synthetic sequence tasks, as in-memory tensors.

What :func:`warmup_course.training.train` consumes
---------------------------------------------------
Any object with these two methods (both :class:`ArrayData` and :class:`SequenceTask` have them):

``batches(batch_size, *, seed, device) -> Iterator[tuple[Tensor, Tensor]]``
    An endless stream of training batches ``(x, y)`` on ``device``, fully determined by ``seed``.
``eval_sets(device) -> dict[str, tuple[Tensor, Tensor]]``
    Fixed evaluation sets by name, e.g. ``{"train": (x, y), "test": (x, y)}``; ``train()`` reports
    ``<name>_loss`` and ``<name>_acc`` for each.

Targets ``y`` are class indices (int64); the model's output has one more trailing dimension than ``y``
(the class scores), so the same cross-entropy serves images (``(N, 10)`` vs ``(N,)``) and per-token
sequence outputs (``(N, L, V)`` vs ``(N, L)``). An optional ``name`` attribute is recorded in the History.

Digits
------
``data/digits.npz`` holds scikit-learn's copy of the UCI 8x8 handwritten digits (Alpaydin & Kaynak 1998,
https://doi.org/10.24432/C50P49; see ``data/README.md``). :func:`load_digits` checks its SHA-256, splits it
stratified by class with a fixed seed (like scikit-learn's ``train_test_split(..., stratify=y)``: ``ceil(f * N)``
test images shared among the classes in proportion) and standardises each pixel with the training set's
mean and standard deviation, ``x' = (x - mean_train) / std_train`` (pixels constant in the training set are only
centred), as scikit-learn's ``StandardScaler`` does. :class:`DigitsDataset` is the same data as a torchvision
``VisionDataset`` for code that wants a ``DataLoader``.
"""

from __future__ import annotations

import hashlib
import math
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from warmup_course.validation import (
    MAX_ITEMS,
    check_array,
    check_bool,
    check_choice,
    check_mapping,
    check_real,
    check_seed,
    check_str,
    check_tensor,
)
from warmup_course.validation import check_int as _check_int

__all__ = [
    "DIGITS_PATH",
    "DIGITS_SHA256",
    "ArrayData",
    "DataFileError",
    "DigitsDataset",
    "SEQUENCE_KINDS",
    "SequenceTask",
    "SHAKESPEARE_PATH",
    "SHAKESPEARE_SHA256",
    "TextCorpus",
    "load_digits",
    "load_text",
]

#: SHA-256 of ``data/digits.npz`` as recorded in ``data/README.md``.
DIGITS_SHA256 = "fdcb234163bc24b0fffcbe24e166460535420079972e07e4d999aac5f3c75f0b"
#: Where the course keeps the digits (the repository's ``data/`` folder).
DIGITS_PATH = Path(__file__).resolve().parent.parent / "data" / "digits.npz"

_RESTORE_HINT = (
    "Restore it with `git checkout -- data/digits.npz` (from the repository) or re-export it with "
    "`pip install scikit-learn && python data/make_digits.py`."
)


class DataFileError(OSError):
    """A shipped data file is missing, corrupted or not what the course expects."""



def _device(device: str | torch.device) -> torch.device:
    try:
        return torch.device(device)
    except (RuntimeError, TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"device must name a torch device such as 'cpu' or 'cuda', got {device!r}") from exc


# --------------------------------------------------------------------------------------------------- arrays


@dataclass(eq=False)
class ArrayData:
    """A small classification dataset held in memory as tensors.

    ``x_train``/``x_test`` are float tensors whose first dimension indexes examples; ``y_train``/``y_test``
    are int64 class indices in ``0 .. num_classes - 1``. Training batches are drawn without replacement
    from a seeded permutation of the training set, re-drawn every epoch; the last incomplete batch of an
    epoch is dropped, so every update sees ``batch_size`` examples (``batch_size <= len(y_train)``).
    """

    x_train: torch.Tensor
    y_train: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    num_classes: int
    name: str = "arrays"
    info: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for split in ("train", "test"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor):
                raise TypeError(f"x_{split} and y_{split} must be torch tensors, got {type(x).__name__}, {type(y).__name__}")
            if not x.is_floating_point():
                raise TypeError(f"x_{split} must be a floating-point tensor, got dtype {x.dtype}")
            if y.dtype != torch.int64:
                raise TypeError(f"y_{split} must hold int64 class indices, got dtype {y.dtype}")
            if x.ndim < 2 or x.shape[0] != y.shape[0]:
                raise ValueError(
                    f"x_{split} must have shape (N, ...) with N = len(y_{split}); got x_{split} {tuple(x.shape)}, "
                    f"y_{split} {tuple(y.shape)}"
                )
        if self.x_train.shape[1:] != self.x_test.shape[1:]:
            raise ValueError(
                f"x_train and x_test must share their example shape, got {tuple(self.x_train.shape[1:])} "
                f"and {tuple(self.x_test.shape[1:])}"
            )
        self.num_classes = _check_int("num_classes", self.num_classes, 2, 2**31 - 1)
        check_str("name", self.name)
        check_mapping("info", self.info)
        for split in ("train", "test"):
            y = getattr(self, f"y_{split}")
            if y.numel() and (int(y.min()) < 0 or int(y.max()) >= self.num_classes):
                raise ValueError(f"y_{split} must lie in 0..{self.num_classes - 1}, got {int(y.min())}..{int(y.max())}")

    def __repr__(self) -> str:
        return (
            f"ArrayData(name={self.name!r}, train={len(self.y_train)}, test={len(self.y_test)}, "
            f"x_shape={tuple(self.x_train.shape[1:])}, num_classes={self.num_classes})"
        )

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one example, e.g. ``(64,)`` or ``(1, 8, 8)``."""
        return tuple(self.x_train.shape[1:])

    def to(self, device: str | torch.device) -> ArrayData:
        """A copy with every tensor on ``device``."""
        device = _device(device)
        return ArrayData(
            self.x_train.to(device), self.y_train.to(device), self.x_test.to(device), self.y_test.to(device),
            self.num_classes, self.name, dict(self.info),
        )

    def batches(
        self, batch_size: int, *, seed: int, device: str | torch.device = "cpu"
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Endless training batches: each epoch a fresh permutation from a generator seeded with ``seed``."""
        batch_size = _check_int("batch_size", batch_size, 1)
        seed = check_seed("seed", seed)
        n = len(self.y_train)
        if batch_size > n:
            raise ValueError(f"batch_size must be <= the {n} training examples of {self.name!r}, got {batch_size}")
        device = _device(device)
        x, y = self.x_train.to(device), self.y_train.to(device)
        return self._batches(x, y, batch_size, seed)

    @staticmethod
    def _batches(x: torch.Tensor, y: torch.Tensor, batch_size: int, seed: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        # The permutation is drawn on the CPU (same order on every device) and moved once per epoch.
        gen = torch.Generator().manual_seed(seed)
        n = len(y)
        per_epoch = n // batch_size
        while True:
            order = torch.randperm(n, generator=gen).to(x.device)
            for i in range(per_epoch):
                idx = order[i * batch_size : (i + 1) * batch_size]
                yield x[idx], y[idx]

    def eval_sets(self, device: str | torch.device = "cpu") -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """``{"train": (x_train, y_train), "test": (x_test, y_test)}`` on ``device``."""
        device = _device(device)
        return {
            "train": (self.x_train.to(device), self.y_train.to(device)),
            "test": (self.x_test.to(device), self.y_test.to(device)),
        }


# --------------------------------------------------------------------------------------------------- digits


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_digits(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Load and check ``digits.npz``; any problem becomes a :class:`DataFileError` naming the file."""
    if not path.is_file():
        raise DataFileError(f"digits data file not found: {path}. {_RESTORE_HINT}")
    digest = _sha256(path)
    if digest != DIGITS_SHA256:
        raise DataFileError(
            f"digits data file {path} is corrupted or modified: sha256 {digest}, expected {DIGITS_SHA256} "
            f"(see data/README.md). {_RESTORE_HINT}"
        )
    try:
        with np.load(path, allow_pickle=False) as npz:
            images, target = npz["images"], npz["target"]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise DataFileError(f"cannot read digits data file {path}: {exc}. {_RESTORE_HINT}") from exc
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (8, 8) or target.shape != images.shape[:1]:
        raise DataFileError(
            f"digits data file {path} holds unexpected arrays: images {images.dtype}{images.shape}, "
            f"target {target.dtype}{target.shape}. {_RESTORE_HINT}"
        )
    return images, target.astype(np.int64)


def stratified_split(target: np.ndarray, test_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted (train, test) index arrays, stratified by class.

    ``ceil(test_fraction * N)`` test examples, shared among the classes in proportion to their sizes (largest
    remainders get the leftover ones, ties to the smaller class index), each class's picks drawn from
    ``numpy.random.default_rng(seed)`` -- the same counts as scikit-learn's ``train_test_split(stratify=...)``.
    """
    test_fraction = check_real("test_fraction", test_fraction, 0.0, 1.0, low_open=True, high_open=True)
    seed = check_seed("split_seed", seed)
    classes, counts = np.unique(target, return_counts=True)
    n = len(target)
    n_test = math.ceil(test_fraction * n)
    if not 1 <= n_test <= n - 1:
        # an empty split would give NaN statistics (mean of nothing) with only a RuntimeWarning
        raise ValueError(
            f"test_fraction={test_fraction!r} leaves {n - n_test} training and {n_test} test examples of {n}: "
            "both splits need at least one"
        )
    exact = n_test * counts / n
    per_class = np.floor(exact).astype(int)
    leftover = n_test - per_class.sum()
    order = sorted(range(len(classes)), key=lambda i: (-(exact[i] - per_class[i]), i))
    for i in order[:leftover]:
        per_class[i] += 1
    rng = np.random.default_rng(seed)
    test_parts = []
    for c, k in zip(classes, per_class):
        members = np.flatnonzero(target == c)
        test_parts.append(rng.choice(members, size=int(k), replace=False))
    test = np.sort(np.concatenate(test_parts))
    train = np.setdiff1d(np.arange(n), test)
    return train, test


def load_digits(
    *,
    test_fraction: float = 0.2,
    split_seed: int = 0,
    standardize: bool = True,
    flatten: bool = True,
    path: str | Path | None = None,
) -> ArrayData:
    """The 1,797 8x8 handwritten digits as :class:`ArrayData` (default: 1,437 train / 360 test).

    ``flatten=True`` gives ``x`` of shape ``(N, 64)`` (for :func:`warmup_course.models.mlp`), ``False`` gives
    images ``(N, 1, 8, 8)`` (for :func:`warmup_course.models.cnn`). Pixel values are 0..16; with
    ``standardize`` each pixel becomes ``(x - mean_train) / std_train`` (training-set statistics only, so no
    test information leaks into training), otherwise ``x / 16``. ``path`` defaults to :data:`DIGITS_PATH`;
    the file's SHA-256 must equal :data:`DIGITS_SHA256` (a missing or altered file raises
    :class:`DataFileError` naming the file and how to restore it).
    """
    check_bool("standardize", standardize)
    check_bool("flatten", flatten)
    if path is not None and not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str, a Path or None, got {type(path).__name__}")
    test_fraction = check_real("test_fraction", test_fraction, 0.0, 1.0, low_open=True, high_open=True)
    check_seed("split_seed", split_seed)
    images, target = _read_digits(Path(path) if path is not None else DIGITS_PATH)
    train_idx, test_idx = stratified_split(target, test_fraction, split_seed)
    x = images.reshape(len(images), -1).astype(np.float64)
    if standardize:
        mean = x[train_idx].mean(axis=0)
        std = x[train_idx].std(axis=0)
        std[std == 0] = 1.0  # pixels blank in every training image: centre only (StandardScaler's convention)
        x = (x - mean) / std
    else:
        x = x / 16.0
    x = torch.from_numpy(x.astype(np.float32))
    if not flatten:
        x = x.reshape(-1, 1, 8, 8)
    y = torch.from_numpy(target)
    return ArrayData(
        x_train=x[train_idx].contiguous(),
        y_train=y[train_idx].contiguous(),
        x_test=x[test_idx].contiguous(),
        y_test=y[test_idx].contiguous(),
        num_classes=10,
        name="digits",
        info={"test_fraction": test_fraction, "split_seed": split_seed, "standardize": standardize},
    )


def _digits_dataset_class() -> type:
    # torchvision.datasets imports torchvision.models and torch._dynamo: 2-3 s that every notebook importing this
    # module would pay. The class is built on first use of ``data.DigitsDataset`` (module ``__getattr__``, PEP 562).
    from torchvision.datasets import VisionDataset

    class DigitsDataset(VisionDataset):
        """The digits split of :func:`load_digits` as a torchvision ``VisionDataset`` (for ``DataLoader`` users).

        ``dataset[i]`` is ``(image, target)`` with ``image`` a float tensor (``(64,)`` or ``(1, 8, 8)`` with
        ``flatten=False``) after ``transform``, and ``target`` an int after ``target_transform``. The course's own
        loop does not need it: :func:`warmup_course.training.train` batches the tensors directly, which is faster.
        """

        def __init__(
            self,
            root: str | Path | None = None,
            train: bool = True,
            transform: Callable | None = None,
            target_transform: Callable | None = None,
            *,
            test_fraction: float = 0.2,
            split_seed: int = 0,
            standardize: bool = True,
            flatten: bool = True,
        ) -> None:
            if root is not None and not isinstance(root, (str, Path)):
                raise TypeError(f"root must be a str, a Path or None, got {type(root).__name__}")
            check_bool("train", train)
            for name, fn in (("transform", transform), ("target_transform", target_transform)):
                if fn is not None and not callable(fn):
                    raise TypeError(f"{name} must be callable or None, got {type(fn).__name__}")
            root = Path(root) if root is not None else DIGITS_PATH.parent
            super().__init__(str(root), transform=transform, target_transform=target_transform)
            data = load_digits(
                test_fraction=test_fraction, split_seed=split_seed, standardize=standardize, flatten=flatten,
                path=root / DIGITS_PATH.name,
            )
            self.train = bool(train)
            self.data = data.x_train if train else data.x_test
            self.targets = (data.y_train if train else data.y_test).tolist()
            self.classes = [str(i) for i in range(10)]

        def __len__(self) -> int:
            return len(self.targets)

        def __getitem__(self, index: int) -> tuple[Any, Any]:
            image, target = self.data[index], self.targets[index]
            if self.transform is not None:
                image = self.transform(image)
            if self.target_transform is not None:
                target = self.target_transform(target)
            return image, target

        def extra_repr(self) -> str:
            return f"Split: {'Train' if self.train else 'Test'}"

    DigitsDataset.__qualname__ = "DigitsDataset"  # importable and picklable as warmup_course.data.DigitsDataset
    return DigitsDataset


def __getattr__(name: str) -> Any:
    if name == "DigitsDataset":
        cls = _digits_dataset_class()
        globals()["DigitsDataset"] = cls  # built once; later lookups no longer reach __getattr__
        return cls
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --------------------------------------------------------------------------------------------------- sequences

#: The synthetic tasks :class:`SequenceTask` knows: target as a function of the input sequence.
SEQUENCE_KINDS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "copy": lambda x: x.clone(),
    "reverse": lambda x: x.flip(-1),
    "sort": lambda x: x.sort(dim=-1).values,
}


@dataclass(frozen=True)
class SequenceTask:
    """A synthetic sequence-to-sequence task: map ``length`` random symbols from ``0..vocab-1`` to a target.

    ``kind`` is ``"reverse"`` (``y[i] = x[L-1-i]``), ``"copy"`` (``y = x``) or ``"sort"`` (``y`` = ``x`` in
    ascending order); each output position is a ``vocab``-way classification, so a model that has learned
    nothing sits at the uniform-prediction loss ``ln(vocab)``. Training batches are fresh uniform random
    sequences drawn from a generator seeded with the run's seed; the evaluation set (``eval_size``
    sequences) is fixed by ``seed`` and comes from a different random stream, so it is the same for every run.
    """

    kind: str = "reverse"
    length: int = 16
    vocab: int = 16
    eval_size: int = 1024
    seed: int = 0

    def __post_init__(self) -> None:
        check_choice("kind", self.kind, sorted(SEQUENCE_KINDS))
        _check_int("length", self.length, 1, 4096)
        _check_int("vocab", self.vocab, 2, 2**31 - 1)
        _check_int("eval_size", self.eval_size, 1, MAX_ITEMS // max(1, min(self.length, MAX_ITEMS)))
        check_seed("seed", self.seed)

    @property
    def name(self) -> str:
        return f"{self.kind}(length={self.length}, vocab={self.vocab})"

    @property
    def num_classes(self) -> int:
        return self.vocab

    @property
    def chance_loss(self) -> float:
        """Cross-entropy of the uniform prediction, ``ln(vocab)``."""
        return math.log(self.vocab)

    def target(self, x: torch.Tensor) -> torch.Tensor:
        """The target sequence(s) for input sequence(s) ``x`` (last dimension = positions)."""
        check_tensor("x", x, ndim=range(1, 9), floating=False)
        return SEQUENCE_KINDS[self.kind](x)

    def sample(self, n: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` random sequences and their targets, drawn from ``generator`` (on the CPU)."""
        n = _check_int("n", n, 1, MAX_ITEMS // self.length)
        if not isinstance(generator, torch.Generator):
            raise TypeError(f"generator must be a torch.Generator, got {type(generator).__name__}")
        x = torch.randint(self.vocab, (n, self.length), generator=generator)
        return x, self.target(x)

    def batches(
        self, batch_size: int, *, seed: int, device: str | torch.device = "cpu"
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Endless fresh training batches from a CPU generator seeded with ``seed`` (same on every device)."""
        batch_size = _check_int("batch_size", batch_size, 1, MAX_ITEMS // self.length)
        seed = check_seed("seed", seed)
        return self._batches(batch_size, seed, _device(device))

    def _batches(self, batch_size: int, seed: int, device: torch.device) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        gen = torch.Generator().manual_seed(seed)
        while True:
            x, y = self.sample(batch_size, gen)
            yield x.to(device, non_blocking=True), y.to(device, non_blocking=True)

    def eval_set(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The fixed evaluation sequences and targets (CPU)."""
        # A stream separate from every training stream: seed the generator from (seed, a task-specific tag).
        state = np.random.SeedSequence([self.seed, 0x5E0E7A1]).generate_state(2, dtype=np.uint64)
        gen = torch.Generator().manual_seed(int(state[0] >> np.uint64(1)))
        return self.sample(self.eval_size, gen)

    def eval_sets(self, device: str | torch.device = "cpu") -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """``{"test": (x, y)}``: the fixed evaluation set on ``device``."""
        x, y = self.eval_set()
        device = _device(device)
        return {"test": (x.to(device), y.to(device))}


# --------------------------------------------------------------------------------------------------- text

#: SHA-256 of ``data/shakespeare.txt`` as recorded in ``data/README.md``.
SHAKESPEARE_SHA256 = "e2a2f72e60c8dd427f029fb2003725755ea51f2c6bc0e8fa67a1aea35b416146"
#: Where the course keeps its text corpus (Hamlet and Macbeth, plain ASCII; see ``data/README.md``).
SHAKESPEARE_PATH = Path(__file__).resolve().parent.parent / "data" / "shakespeare.txt"
#: Where Macbeth starts in the shipped file (Hamlet comes first).
MACBETH_FIRST_LINE = "FIRST WITCH:\nWhen shall we three meet again"


@dataclass(eq=False)
class TextCorpus:
    """A character-level language-modelling corpus held in memory: next-character prediction on fixed windows.

    ``text`` is split at character ``floor((1 - val_fraction) * len(text))`` into a training part and a validation
    part (the end of the corpus: Macbeth's last scenes for the shipped file). The vocabulary is the sorted set of
    characters of the WHOLE text, so it is fixed by the file, not by the split; ``alphabet`` fixes it to its
    characters instead (two corpora that share one model share it). A batch is ``batch_size`` windows of
    ``context + 1`` characters starting at uniform random offsets of the training part: ``x`` = the first
    ``context`` characters, ``y`` = the same window shifted by one (the targets of a causal model, as in
    nanoGPT's ``get_batch``). The validation set is ``eval_windows`` evenly spaced windows of the validation part,
    the same for every run. Loss is in nats per character; the uniform prediction scores ``ln(vocab_size)``.
    """

    text: str
    context: int = 16
    val_fraction: float = 0.1
    eval_windows: int = 512
    name: str = "text"
    alphabet: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise TypeError(f"text must be a string, got {type(self.text).__name__}")
        self.context = _check_int("context", self.context, 1)
        self.eval_windows = _check_int("eval_windows", self.eval_windows, 1, MAX_ITEMS)
        check_real("val_fraction", self.val_fraction, 0.0, 1.0, low_open=True, high_open=True)
        check_str("name", self.name)
        if self.alphabet is not None:
            if not isinstance(self.alphabet, str):
                raise TypeError(f"alphabet must be a string or None, got {type(self.alphabet).__name__}")
            missing = sorted(set(self.text) - set(self.alphabet))
            if missing:
                raise ValueError(f"alphabet must cover every character of text, missing {missing[:10]!r}")
        self.vocab = sorted(set(self.text if self.alphabet is None else self.alphabet))
        if len(self.vocab) < 2:
            raise ValueError("text must hold at least two distinct characters")
        self._index = {c: i for i, c in enumerate(self.vocab)}
        # Code points -> ids in one vectorised pass: the vocabulary is sorted, so an id is a code point's rank.
        points = np.frombuffer(self.text.encode("utf-32-le"), dtype=np.uint32)
        ids = torch.from_numpy(np.searchsorted(np.array([ord(c) for c in self.vocab], dtype=np.uint32), points))
        cut = int(math.floor((1.0 - float(self.val_fraction)) * len(ids)))
        self.train_ids, self.val_ids = ids[:cut], ids[cut:]
        for part, name in ((self.train_ids, "training"), (self.val_ids, "validation")):
            if len(part) < self.context + 2:
                raise ValueError(f"text is too short: its {name} part has {len(part)} characters, too few for "
                                 f"context={self.context}")

    def __repr__(self) -> str:
        return (
            f"TextCorpus(name={self.name!r}, chars={len(self.text)}, vocab_size={self.vocab_size}, "
            f"context={self.context}, train={len(self.train_ids)}, val={len(self.val_ids)})"
        )

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    @property
    def num_classes(self) -> int:
        return self.vocab_size

    @property
    def chance_loss(self) -> float:
        """Cross-entropy of the uniform prediction, ``ln(vocab_size)``."""
        return math.log(self.vocab_size)

    def reference_losses(self) -> dict[str, float]:
        """Validation cross-entropy (nats per character) of two models with no context and one character of it,
        fitted by counting the training part (add-one smoothing): ``{"unigram": ..., "bigram": ...}``. A model
        below the bigram loss is using more than the previous character."""
        v = self.vocab_size
        train, val = self.train_ids.numpy(), self.val_ids.numpy()
        uni = np.bincount(train, minlength=v) + 1.0
        uni_loss = -np.mean(np.log(uni[val] / uni.sum()))
        pairs = np.zeros((v, v))
        np.add.at(pairs, (train[:-1], train[1:]), 1.0)
        pairs += 1.0
        cond = pairs / pairs.sum(axis=1, keepdims=True)
        bi_loss = -np.mean(np.log(cond[val[:-1], val[1:]]))
        return {"unigram": float(uni_loss), "bigram": float(bi_loss)}

    def encode(self, text: str) -> torch.Tensor:
        """Character ids (int64) of ``text``; a character outside the vocabulary is a ``ValueError`` naming it."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a string, got {type(text).__name__}")
        missing = sorted(set(text) - set(self._index))
        if missing:
            raise ValueError(f"text holds characters outside the corpus vocabulary: {missing[:10]!r}")
        return torch.tensor([self._index[c] for c in text], dtype=torch.int64)

    def decode(self, ids: Any) -> str:
        """The text of a sequence of character ids."""
        if isinstance(ids, torch.Tensor):
            ids = ids.detach().cpu().numpy()
        if isinstance(ids, (bool, np.bool_)) or (isinstance(ids, np.ndarray) and ids.dtype == bool):
            raise TypeError(f"ids must be character ids (ints), got {ids!r}")
        arr = check_array("ids", ids, ndim=None, finite=True)
        if not np.array_equal(arr, np.round(arr)):
            raise ValueError("ids must be whole numbers (character ids)")
        seq = arr.reshape(-1).tolist()
        if any(not 0 <= int(i) < self.vocab_size for i in seq):
            raise ValueError(f"ids must lie in 0..{self.vocab_size - 1}")
        return "".join(self.vocab[int(i)] for i in seq)

    def batches(
        self, batch_size: int, *, seed: int, device: str | torch.device = "cpu"
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Endless training batches of random windows, fully determined by ``seed`` (same on every device)."""
        batch_size = _check_int("batch_size", batch_size, 1, MAX_ITEMS)
        seed = check_seed("seed", seed)
        return self._batches(batch_size, seed, _device(device))

    def _batches(self, batch_size: int, seed: int, device: torch.device) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        gen = torch.Generator().manual_seed(seed)
        span = torch.arange(self.context + 1)
        high = len(self.train_ids) - self.context - 1
        while True:
            start = torch.randint(high + 1, (batch_size, 1), generator=gen)
            window = self.train_ids[start + span]
            yield window[:, :-1].to(device), window[:, 1:].to(device)

    def eval_set(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The fixed validation windows ``(x, y)`` (CPU): evenly spaced over the validation part."""
        high = len(self.val_ids) - self.context - 1
        n = min(self.eval_windows, high + 1)
        start = torch.linspace(0, high, n).round().long().unsqueeze(1)
        window = self.val_ids[start + torch.arange(self.context + 1)]
        return window[:, :-1], window[:, 1:]

    def eval_sets(self, device: str | torch.device = "cpu") -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """``{"val": (x, y)}``: the fixed validation windows on ``device``."""
        x, y = self.eval_set()
        device = _device(device)
        return {"val": (x.to(device), y.to(device))}


def load_text(
    path: str | Path | None = None,
    *,
    context: int = 16,
    val_fraction: float = 0.1,
    eval_windows: int = 512,
    verify: bool = True,
    play: str | None = None,
) -> TextCorpus:
    """The shipped corpus (``data/shakespeare.txt``, hash-checked) or another UTF-8 text file, as a :class:`TextCorpus`.

    With the default path the file's SHA-256 must equal :data:`SHAKESPEARE_SHA256`; a missing or altered file is a
    :class:`DataFileError` that names the file and how to restore it. Nothing is ever downloaded.

    ``play="hamlet"`` or ``"macbeth"`` keeps one of the shipped file's two plays (each split 90/10 on its own) with
    the vocabulary of the whole file, so a model pre-trained on one can be fine-tuned on the other.
    """
    if not isinstance(verify, bool):
        raise TypeError(f"verify must be True or False, got {verify!r}")
    shipped = path is None
    if path is None:
        path = SHAKESPEARE_PATH
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or Path, got {type(path).__name__}")
    path = Path(path)
    hint = (
        "Restore it with `git checkout -- data/shakespeare.txt` (from the repository) or re-export it with "
        "`data/make_shakespeare.py` (see data/README.md)."
    )
    if not path.is_file():
        raise DataFileError(f"the text corpus {path} is missing. " + (hint if shipped else ""))
    if shipped and verify and _sha256(path) != SHAKESPEARE_SHA256:
        raise DataFileError(f"{path} is not the file the course ships (SHA-256 differs). {hint}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataFileError(f"{path} is not UTF-8 text ({exc})") from None
    alphabet = None
    if play is not None:
        play = check_choice("play", play, ("hamlet", "macbeth"))
        if not shipped:
            raise ValueError("play selects a part of the shipped corpus: leave path at None to use it")
        start = text.index(MACBETH_FIRST_LINE)  # Macbeth follows Hamlet in the shipped file
        alphabet = "".join(sorted(set(text)))
        text = text[:start] if play == "hamlet" else text[start:]
    name = path.stem if play is None else play
    return TextCorpus(
        text, context=context, val_fraction=val_fraction, eval_windows=eval_windows, name=name, alphabet=alphabet
    )
