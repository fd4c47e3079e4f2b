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
  :class:`torch.nn.TransformerEncoderLayer` (``norm_first`` picks the arrangement). ``norm="none"`` with
  ``init="t-fixup"`` is T-Fixup (Huang et al. 2020): no LayerNorm at all, and an initialisation scaled with
  depth instead, which lets the Post-LN arrangement train without warmup (:func:`t_fixup_`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from warmup_course.validation import check_bool as _check_bool
from warmup_course.validation import check_choice, check_real, check_seed, check_tensor
from warmup_course.validation import check_int as _check_int

__all__ = ["NormFreeEncoderLayer", "SequenceTransformer", "cnn", "count_parameters", "mlp", "t_fixup_", "transformer"]



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


#: The layer arrangements of :func:`transformer`: LayerNorm after the residual sum, before the sublayer, or none.
NORMS = ("post", "pre", "none")
#: The initialisations of :func:`transformer`.
INITS = ("default", "t-fixup")


def _check_transformer_args(vocab: Any, length: Any, d_model: Any, heads: Any, layers: Any, ff: Any, norm: Any,
                            dropout: Any) -> None:
    """The checks shared by :func:`transformer` and a directly built :class:`SequenceTransformer`."""
    _check_int("vocab", vocab, 2, 2**24)
    _check_int("length", length, 1, _MAX_WIDTH)
    _check_int("d_model", d_model, 1, _MAX_WIDTH)
    _check_int("heads", heads, 1, _MAX_WIDTH)
    _check_int("layers", layers, 1, _MAX_LAYERS)
    _check_int("ff", ff, 1, _MAX_WIDTH)
    check_choice("norm", norm, NORMS)
    if d_model % heads:  # torch's MultiheadAttention would fail with a bare AssertionError
        raise ValueError(f"d_model must be divisible by heads, got d_model={d_model}, heads={heads}")
    check_real("dropout", dropout, 0.0, 1.0, high_open=True)


class NormFreeEncoderLayer(nn.TransformerEncoderLayer):
    """A Post-LN :class:`torch.nn.TransformerEncoderLayer` with its two LayerNorms removed:
    ``x = x + SA(x); x = x + FF(x)`` (the layer T-Fixup trains, Huang et al. 2020).

    The sublayers keep torch's names (``self_attn``, ``linear1``, ``linear2``), so the course's probes and hooks
    work unchanged; ``norm1``/``norm2`` are identities. ``forward`` is overridden because torch's inference fast
    path needs the LayerNorms' ``eps``.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int, dropout: float = 0.0):
        _check_int("d_model", d_model, 1, _MAX_WIDTH)
        _check_int("nhead", nhead, 1, _MAX_WIDTH)
        _check_int("dim_feedforward", dim_feedforward, 1, _MAX_WIDTH)
        check_real("dropout", dropout, 0.0, 1.0, high_open=True)
        if d_model % nhead:
            raise ValueError(f"d_model must be divisible by nhead, got d_model={d_model}, nhead={nhead}")
        super().__init__(d_model, nhead, dim_feedforward=dim_feedforward, dropout=dropout, activation="relu",
                         batch_first=True, norm_first=False)
        self.norm1, self.norm2 = nn.Identity(), nn.Identity()

    def forward(self, src: torch.Tensor, src_mask: torch.Tensor | None = None,
                src_key_padding_mask: torch.Tensor | None = None, is_causal: bool = False) -> torch.Tensor:
        """``(N, L, d_model)`` -> the same shape; the masks and ``is_causal`` as in torch's layer."""
        check_tensor("src", src, ndim=3, floating=True)
        for name, mask in (("src_mask", src_mask), ("src_key_padding_mask", src_key_padding_mask)):
            if mask is not None:
                check_tensor(name, mask)
        if _check_bool("is_causal", is_causal) and src_mask is None:  # torch would fail with a RuntimeError
            raise ValueError("is_causal=True is a hint about src_mask: give the causal src_mask too "
                             "(nn.Transformer.generate_square_subsequent_mask)")
        x = src + self._sa_block(src, src_mask, src_key_padding_mask, is_causal=is_causal)
        return x + self._ff_block(x)


class SequenceTransformer(nn.Module):
    """Token embedding + learned positions -> ``layers`` encoder layers -> (final LN for Pre-LN) -> linear head.

    Input: int64 tokens ``(N, length)``; output: logits ``(N, length, vocab)``, one prediction per position.
    The encoder layers are in ``self.layers`` (a ``ModuleList`` of independently initialised
    :class:`torch.nn.TransformerEncoderLayer`), so notebooks can hook ``layers[i].linear1`` (the FF
    pre-activations) or ``layers[i].self_attn`` to look inside. With ``norm="none"`` they are
    :class:`NormFreeEncoderLayer`. The token embeddings are multiplied by ``embed_scale`` (1 here;
    :func:`t_fixup_` sets ``sqrt(d_model)``, as fairseq's Transformer does).
    """

    def __init__(self, vocab: int, length: int, d_model: int, heads: int, layers: int, ff: int, norm: str, dropout: float):
        _check_transformer_args(vocab, length, d_model, heads, layers, ff, norm, dropout)
        super().__init__()
        self.vocab, self.length, self.norm = vocab, length, norm
        self.init = "default"
        self.embed_scale = 1.0
        self.embed = nn.Embedding(vocab, d_model)
        # Learned positions at the tokens' scale (both N(0, 1), torch's Embedding init): smaller position
        # vectors would be drowned by the token embeddings, and position is all the reverse task is about.
        self.pos = nn.Embedding(length, d_model)
        # Separate layer objects (not nn.TransformerEncoder, which deep-copies one layer: identical init).
        self.layers = nn.ModuleList(
            NormFreeEncoderLayer(d_model, heads, ff, dropout) if norm == "none" else nn.TransformerEncoderLayer(
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
        h = self.embed(tokens)
        if self.embed_scale != 1.0:
            h = h * self.embed_scale
        h = h + self.pos.weight[: tokens.shape[1]]
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
    init: str = "default",
) -> SequenceTransformer:
    """A small Transformer encoder for the synthetic sequence tasks, ``norm="post"``, ``"pre"`` or ``"none"``, seeded.

    Defaults are the Post-LN vs Pre-LN setting of the course: 6 layers, ``d_model`` 64, 4 heads, FF 256 with
    ReLU, learned positions, no dropout, torch's default initialisation. ``init="t-fixup"`` (only with
    ``norm="none"``, as in the paper) applies :func:`t_fixup_`.
    """
    _check_transformer_args(vocab, length, d_model, heads, layers, ff, norm, dropout)
    check_choice("init", init, INITS)
    if init == "t-fixup" and norm != "none":
        raise ValueError(f"init='t-fixup' removes the LayerNorms: it needs norm='none', got norm={norm!r}")
    with _seeded(seed):
        model = SequenceTransformer(vocab, length, d_model, heads, layers, ff, norm, float(dropout))
        return t_fixup_(model) if init == "t-fixup" else model


def t_fixup_(model: SequenceTransformer) -> SequenceTransformer:
    """T-Fixup's initialisation (Huang et al. 2020, Algorithm 2, encoder part), in place, for a LayerNorm-free
    :class:`SequenceTransformer` with ``N`` layers of width ``d``:

    1. Xavier-uniform for every weight matrix but the input embeddings, biases 0; token embeddings
       ``N(0, d^{-1/2})``, multiplied by ``sqrt(d)`` in the forward pass (``embed_scale``);
    2. token embeddings scaled by ``(9N)^{-1/4}``;
    3. in every layer, the attention's value and output projections and both feed-forward matrices scaled by
       ``0.67 N^{-1/4}``.

    As in the authors' fairseq code (github.com/layer6ai-labs/T-Fixup): the query and key projections keep
    Xavier with gain ``1/sqrt(2)`` (torch's packed ``in_proj_weight`` has that gain already: its fan-out is
    ``3d``), the value projection gets gain 1 before its scaling, and the encoder's embeddings use ``9N``.
    The learned positions are not part of T-Fixup and keep their ``N(0, 1)``. Returns ``model``.
    Paper: https://proceedings.mlr.press/v119/huang20f.html
    """
    if not isinstance(model, SequenceTransformer):
        raise TypeError(f"model must be a SequenceTransformer, got {type(model).__name__}")
    if model.norm != "none":
        raise ValueError(f"T-Fixup removes the LayerNorms: model must have norm='none', got norm={model.norm!r}")
    n, d = len(model.layers), model.embed.embedding_dim
    block = 0.67 * n ** -0.25
    with torch.no_grad():
        nn.init.normal_(model.embed.weight, 0.0, d**-0.5).mul_((9 * n) ** -0.25)
        model.embed_scale = math.sqrt(d)
        for layer in model.layers:
            attn = layer.self_attn
            nn.init.xavier_uniform_(attn.in_proj_weight)  # q, k: gain 1/sqrt(2) per matrix (fan-out 3d)
            nn.init.xavier_uniform_(attn.in_proj_weight[2 * d :]).mul_(block)  # v: gain 1, then scaled
            for lin in (attn.out_proj, layer.linear1, layer.linear2):
                nn.init.xavier_uniform_(lin.weight).mul_(block)
            for bias in (attn.in_proj_bias, attn.out_proj.bias, layer.linear1.bias, layer.linear2.bias):
                bias.zero_()
        nn.init.xavier_uniform_(model.head.weight)
        model.head.bias.zero_()
    model.init = "t-fixup"
    return model
