"""A tiny nanoGPT-style character model: a decoder-only Transformer that trains on a laptop CPU in seconds.

The architecture is GPT-2's as in Karpathy's nanoGPT (``model.py``, https://github.com/karpathy/nanoGPT):
token + learned position embeddings, ``layers`` causal self-attention blocks, a final LayerNorm, and an output
head tied to the token embedding. Each block is Pre-LN, ``x = x + attn(LN(x)); x = x + mlp(LN(x))`` with a GELU
MLP of width ``4 d``, or Post-LN, ``x = LN(x + attn(x)); x = LN(x + mlp(x))`` (the original Transformer's
arrangement, for comparison). Weights are initialised as in nanoGPT: N(0, 0.02), the residual projections
N(0, 0.02 / sqrt(2 * layers)) (GPT-2's scaling), zero biases.

:func:`param_groups` splits the parameters as nanoGPT's ``configure_optimizers`` does: weight decay on the
matrices (2-D tensors), none on biases, LayerNorm gains and (here) nothing else. :func:`generate` samples text
deterministically from a seed.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from warmup_course.validation import check_choice, check_int, check_real, check_str, check_tensor

__all__ = ["TinyGPT", "generate", "gpt", "param_groups"]


class _Block(nn.Module):
    def __init__(self, d_model: int, heads: int, norm: str) -> None:
        super().__init__()
        self.norm_first = norm == "pre"
        self.heads = heads
        self.ln1 = nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)
        self.proj = nn.Linear(d_model, d_model)
        self.ln2 = nn.LayerNorm(d_model)
        self.fc = nn.Linear(d_model, 4 * d_model)
        self.fc_proj = nn.Linear(4 * d_model, d_model)

    def attn(self, x: torch.Tensor) -> torch.Tensor:
        n, length, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=2)
        shape = (n, length, self.heads, d // self.heads)
        q, k, v = (t.view(shape).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.proj(y.transpose(1, 2).reshape(n, length, d))

    def mlp(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc_proj(F.gelu(self.fc(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.norm_first:
            x = x + self.attn(self.ln1(x))
            return x + self.mlp(self.ln2(x))
        x = self.ln1(x + self.attn(x))
        return self.ln2(x + self.mlp(x))


def _check_arch(vocab: Any, context: Any, d_model: Any, heads: Any, layers: Any, norm: Any) -> tuple:
    """The architecture's arguments, validated (by :func:`gpt` and by :class:`TinyGPT` built directly)."""
    vocab = check_int("vocab", vocab, 2, 10**6)
    context = check_int("context", context, 1, 4096)
    d_model = check_int("d_model", d_model, 1, 4096)
    heads = check_int("heads", heads, 1, 4096)
    layers = check_int("layers", layers, 1, 64)
    norm = check_choice("norm", norm, ("pre", "post"))
    if d_model % heads:
        raise ValueError(f"d_model must be divisible by heads, got d_model={d_model}, heads={heads}")
    return vocab, context, d_model, heads, layers, norm


class TinyGPT(nn.Module):
    """Decoder-only Transformer over characters. Input int64 ``(N, L)`` with ``L <= context``; output logits
    ``(N, L, vocab)``: position ``i`` predicts character ``i + 1``. Build it with :func:`gpt` (validated, seeded)."""

    def __init__(self, vocab: int, context: int, d_model: int, heads: int, layers: int, norm: str) -> None:
        super().__init__()
        vocab, context, d_model, heads, layers, norm = _check_arch(vocab, context, d_model, heads, layers, norm)
        self.vocab, self.context, self.norm = vocab, context, norm
        self.embed = nn.Embedding(vocab, d_model)
        self.pos = nn.Embedding(context, d_model)
        self.blocks = nn.ModuleList(_Block(d_model, heads, norm) for _ in range(layers))
        # GPT-2 ends with a LayerNorm; a Post-LN stack is already normalised after its last block.
        self.final_norm = nn.LayerNorm(d_model) if norm == "pre" else nn.Identity()
        self.head = nn.Linear(d_model, vocab, bias=False)
        self.head.weight = self.embed.weight  # weight tying (Press & Wolf 2017), as in GPT-2 and nanoGPT
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif p.dim() == 2:
                std = 0.02 / math.sqrt(2 * layers) if name.endswith("proj.weight") else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        check_tensor("tokens", tokens, ndim=2, floating=False)
        if tokens.ndim != 2 or tokens.shape[1] > self.context:
            raise ValueError(f"tokens must have shape (N, L) with L <= {self.context}, got {tuple(tokens.shape)}")
        h = self.embed(tokens) + self.pos.weight[: tokens.shape[1]]
        for block in self.blocks:
            h = block(h)
        return self.head(self.final_norm(h))


def gpt(
    vocab: int = 63,
    context: int = 16,
    d_model: int = 64,
    heads: int = 4,
    layers: int = 2,
    norm: str = "pre",
    seed: int = 0,
) -> TinyGPT:
    """A seeded :class:`TinyGPT`. Defaults: the course's tiny character model for ``data/shakespeare.txt``
    (63 characters, context 16, 2 Pre-LN blocks of width 64 with 4 heads: about 0.1 M parameters)."""
    vocab, context, d_model, heads, layers, norm = _check_arch(vocab, context, d_model, heads, layers, norm)
    seed = check_int("seed", seed, 0, 2**63 - 1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return TinyGPT(vocab, context, d_model, heads, layers, norm)


def param_groups(params: Any, weight_decay: float) -> list[dict[str, Any]]:
    """``[{"params": matrices, "weight_decay": wd}, {"params": the rest, "weight_decay": 0}]`` — nanoGPT's split:
    every parameter with ``dim() >= 2`` (linear weights, embeddings) decays; biases and LayerNorm gains do not.

    ``params`` is a model or an iterable of its parameters (what an optimizer factory receives), so
    ``lambda params: torch.optim.AdamW(param_groups(params, 0.1), lr=...)`` works as ``train()``'s optimizer.
    """
    if isinstance(params, nn.Module):
        params = params.parameters()
    if isinstance(params, (str, bytes, torch.Tensor)) or not hasattr(params, "__iter__"):
        raise TypeError(f"params must be a model or an iterable of parameters, got {type(params).__name__}")
    weight_decay = check_real("weight_decay", weight_decay, 0.0)
    unique: dict[int, torch.Tensor] = {}
    for p in params:  # tied weights appear once
        if not isinstance(p, torch.Tensor):
            raise TypeError(f"params must hold tensors, got {type(p).__name__}")
        if p.requires_grad:
            unique.setdefault(id(p), p)
    if not unique:
        raise ValueError("params must hold trainable parameters")
    kept = list(unique.values())
    return [
        {"params": [p for p in kept if p.dim() >= 2], "weight_decay": weight_decay},
        {"params": [p for p in kept if p.dim() < 2], "weight_decay": 0.0},
    ]


@torch.no_grad()
def generate(
    model: TinyGPT,
    corpus: Any,
    prompt: str,
    length: int = 200,
    *,
    seed: int = 0,
    temperature: float = 0.8,
) -> str:
    """``prompt`` followed by ``length`` characters sampled from ``model`` (softmax at ``temperature``), drawn from a
    generator seeded with ``seed``: the same call gives the same text. ``corpus`` supplies ``encode``/``decode``
    (a :class:`warmup_course.data.TextCorpus`). The model sees at most its last ``context`` characters."""
    if not isinstance(model, TinyGPT):
        raise TypeError(f"model must be a TinyGPT, got {type(model).__name__}")
    if not (callable(getattr(corpus, "encode", None)) and callable(getattr(corpus, "decode", None))):
        raise TypeError(f"corpus must have encode() and decode() (a TextCorpus), got {type(corpus).__name__}")
    prompt = check_str("prompt", prompt)
    length = check_int("length", length, 0, 100_000)
    seed = check_int("seed", seed, 0, 2**63 - 1)
    temperature = check_real("temperature", temperature, 0.0, 100.0, low_open=True)
    gen = torch.Generator().manual_seed(seed)
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    ids = corpus.encode(prompt).to(device)
    try:
        for _ in range(length):
            logits = model(ids[-model.context :].unsqueeze(0))[0, -1] / temperature
            probs = torch.softmax(logits.double().cpu(), dim=-1)
            nxt = torch.multinomial(probs, 1, generator=gen).to(device)
            ids = torch.cat([ids, nxt])
    finally:
        model.train(was_training)
    return corpus.decode(ids.cpu())
