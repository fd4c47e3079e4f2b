"""Small seeded models that train in seconds on a laptop CPU.

Every builder takes a ``seed`` and initialises its weights from it without touching torch's global random
state (the initialisation runs inside :func:`torch.random.fork_rng`), so the same call always gives the same
weights and building a model never changes what other code draws.

- :func:`mlp` -- ``in -> [Linear -> (BatchNorm1d) -> ReLU] x depth -> Linear``; the large-batch SGD
  experiment of Goyal et al. 2017 (https://arxiv.org/abs/1706.02677) in miniature.
- :func:`cnn` -- ``[Conv3x3 -> (BatchNorm2d) -> ReLU -> MaxPool2] x len(channels) -> Linear`` for 8x8 images.
- :func:`transformer` -- a Transformer encoder over a token sequence with learned positions and a per-token
  output head, in the original Post-LN arrangement (``x = LN(x + f(x))``, Vaswani et al. 2017) or Pre-LN
  (``x = x + f(LN(x))`` plus a final LN, as in GPT-2). Xiong et al. 2020 (https://arxiv.org/abs/2002.04745)
  show that Post-LN needs warmup and Pre-LN much less. The layers are torch's own
  :class:`torch.nn.TransformerEncoderLayer` (``norm_first`` picks the arrangement).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from warmup_course.validation import check_bool as _check_bool
from warmup_course.validation import check_choice, check_real, check_seed, check_tensor
from warmup_course.validation import check_int as _check_int

__all__ = ["SequenceTransformer", "cnn", "count_parameters", "mlp", "transformer"]



# Sizes beyond these are not "small models for a laptop": refused by name instead of exhausting memory.
_MAX_WIDTH = 2**16
_MAX_LAYERS = 256


@contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Run the body with torch's global CPU generator seeded with ``seed``, then restore its state."""
    check_seed("seed", seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield


def count_parameters(model: nn.Module) -> int:
    """Number of trainable scalars in ``model``."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def mlp(
    in_features: int = 64,
    hidden: int = 256,
    depth: int = 4,
    num_classes: int = 10,
    batchnorm: bool = False,
    seed: int = 0,
) -> nn.Sequential:
    """``Flatten -> [Linear(hidden) -> (BatchNorm1d) -> ReLU] x depth -> Linear(num_classes)``, seeded.

    The leading ``Flatten`` lets it take images ``(N, 1, 8, 8)`` as well as vectors ``(N, 64)``. Layers keep
    torch's default initialisation.
    """
    _check_int("in_features", in_features, 1, 2**20)
    _check_int("hidden", hidden, 1, _MAX_WIDTH)
    _check_int("depth", depth, 0, _MAX_LAYERS)
    _check_int("num_classes", num_classes, 2, 2**24)
    _check_bool("batchnorm", batchnorm)
    with _seeded(seed):
        layers: list[nn.Module] = [nn.Flatten()]
        width = in_features
        for _ in range(depth):
            layers.append(nn.Linear(width, hidden))
            if batchnorm:
                layers.append(nn.BatchNorm1d(hidden))
            layers.append(nn.ReLU())
            width = hidden
        layers.append(nn.Linear(width, num_classes))
        return nn.Sequential(*layers)


def cnn(
    in_channels: int = 1,
    image_size: int = 8,
    channels: Sequence[int] = (16, 32),
    num_classes: int = 10,
    batchnorm: bool = False,
    seed: int = 0,
) -> nn.Sequential:
    """``[Conv3x3(c) -> (BatchNorm2d) -> ReLU -> MaxPool2] for c in channels -> Flatten -> Linear``, seeded.

    Takes images ``(N, in_channels, image_size, image_size)`` (``load_digits(flatten=False)``); each block
    halves the image side, so ``image_size`` must be divisible by ``2 ** len(channels)``.
    """
    _check_int("in_channels", in_channels, 1, _MAX_WIDTH)
    _check_int("image_size", image_size, 1, _MAX_WIDTH)
    _check_int("num_classes", num_classes, 2, 2**24)
    _check_bool("batchnorm", batchnorm)
    if isinstance(channels, (str, bytes)) or not isinstance(channels, Sequence) or not channels:
        raise TypeError(f"channels must be a non-empty sequence of ints, got {channels!r}")
    if len(channels) > 30:
        raise ValueError(f"channels must have at most 30 entries (each block halves the image), got {len(channels)}")
    for c in channels:
        _check_int("channels[i]", c, 1, _MAX_WIDTH)
    if image_size % (2 ** len(channels)):
        raise ValueError(
            f"image_size must be divisible by 2 ** len(channels) = {2 ** len(channels)}, got image_size={image_size}"
        )
    with _seeded(seed):
        layers: list[nn.Module] = []
        prev = in_channels
        for c in channels:
            layers.append(nn.Conv2d(prev, c, kernel_size=3, padding=1))
            if batchnorm:
                layers.append(nn.BatchNorm2d(c))
            layers += [nn.ReLU(), nn.MaxPool2d(2)]
            prev = c
        side = image_size // 2 ** len(channels)
        layers += [nn.Flatten(), nn.Linear(prev * side * side, num_classes)]
        return nn.Sequential(*layers)


def _check_transformer_args(vocab: Any, length: Any, d_model: Any, heads: Any, layers: Any, ff: Any, norm: Any,
                            dropout: Any) -> None:
    """The checks shared by :func:`transformer` and a directly built :class:`SequenceTransformer`."""
    _check_int("vocab", vocab, 2, 2**24)
    _check_int("length", length, 1, _MAX_WIDTH)
    _check_int("d_model", d_model, 1, _MAX_WIDTH)
    _check_int("heads", heads, 1, _MAX_WIDTH)
    _check_int("layers", layers, 1, _MAX_LAYERS)
    _check_int("ff", ff, 1, _MAX_WIDTH)
    check_choice("norm", norm, ("post", "pre"))
    if d_model % heads:  # torch's MultiheadAttention would fail with a bare AssertionError
        raise ValueError(f"d_model must be divisible by heads, got d_model={d_model}, heads={heads}")
    check_real("dropout", dropout, 0.0, 1.0, high_open=True)


class SequenceTransformer(nn.Module):
    """Token embedding + learned positions -> ``layers`` encoder layers -> (final LN for Pre-LN) -> linear head.

    Input: int64 tokens ``(N, length)``; output: logits ``(N, length, vocab)``, one prediction per position.
    The encoder layers are in ``self.layers`` (a ``ModuleList`` of independently initialised
    :class:`torch.nn.TransformerEncoderLayer`), so notebooks can hook ``layers[i].linear1`` (the FF
    pre-activations) or ``layers[i].self_attn`` to look inside.
    """

    def __init__(self, vocab: int, length: int, d_model: int, heads: int, layers: int, ff: int, norm: str, dropout: float):
        _check_transformer_args(vocab, length, d_model, heads, layers, ff, norm, dropout)
        super().__init__()
        self.vocab, self.length, self.norm = vocab, length, norm
        self.embed = nn.Embedding(vocab, d_model)
        # Learned positions at the tokens' scale (both N(0, 1), torch's Embedding init): smaller position
        # vectors would be drowned by the token embeddings, and position is all the reverse task is about.
        self.pos = nn.Embedding(length, d_model)
        # Separate layer objects (not nn.TransformerEncoder, which deep-copies one layer: identical init).
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(
                d_model, heads, dim_feedforward=ff, dropout=dropout, activation="relu",
                batch_first=True, norm_first=(norm == "pre"),
            )
            for _ in range(layers)
        )
        self.final_norm = nn.LayerNorm(d_model) if norm == "pre" else nn.Identity()
        self.head = nn.Linear(d_model, vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        check_tensor("tokens", tokens, ndim=2, floating=False)
        if tokens.ndim != 2 or tokens.shape[1] > self.length:
            raise ValueError(f"tokens must have shape (N, L) with L <= {self.length}, got {tuple(tokens.shape)}")
        h = self.embed(tokens) + self.pos.weight[: tokens.shape[1]]
        for layer in self.layers:
            h = layer(h)
        return self.head(self.final_norm(h))


def transformer(
    vocab: int = 16,
    length: int = 16,
    d_model: int = 64,
    heads: int = 4,
    layers: int = 6,
    ff: int = 256,
    norm: str = "post",
    dropout: float = 0.0,
    seed: int = 0,
) -> SequenceTransformer:
    """A small Transformer encoder for the synthetic sequence tasks, ``norm="post"`` or ``"pre"``, seeded.

    Defaults are the Post-LN vs Pre-LN setting of the course: 6 layers, ``d_model`` 64, 4 heads, FF 256 with
    ReLU, learned positions, no dropout.
    """
    _check_transformer_args(vocab, length, d_model, heads, layers, ff, norm, dropout)
    with _seeded(seed):
        return SequenceTransformer(vocab, length, d_model, heads, layers, ff, norm, float(dropout))
