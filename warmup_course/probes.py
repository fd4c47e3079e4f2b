"""Looking inside a Transformer while it trains: attention entropy, dead ReLUs, gradient norms by depth.

These are the quantities in which a failed Post-LN run differs from a healthy one (Xiong et al. 2020,
https://arxiv.org/abs/2002.04745, §3: at initialisation the gradients of Post-LN's last layers are large, and
without warmup Adam's first updates to them are too; Liu et al. 2020, https://arxiv.org/abs/2004.08249, on the
amplified output changes; Zhai et al. 2023, https://arxiv.org/abs/2303.06296, on attention-entropy collapse).

:func:`attention_entropy` and :func:`dead_relu_fraction` return *probes* — ``fn(model) -> float`` — that
:func:`warmup_course.training.train` evaluates at each evaluation (``probes={...}``). They work on
:class:`warmup_course.models.SequenceTransformer` (torch's ``TransformerEncoderLayer``) and read the model through
forward hooks on a fixed batch, so they change nothing in training.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from warmup_course.validation import check_tensor

__all__ = ["attention_entropy", "dead_relu_fraction", "grad_norm_by_layer"]


def _encoder_layers(model: nn.Module) -> list[nn.TransformerEncoderLayer]:
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    layers = [m for m in model.modules() if isinstance(m, nn.TransformerEncoderLayer)]
    if not layers:
        raise ValueError("model must contain torch.nn.TransformerEncoderLayer layers (e.g. models.transformer())")
    return layers


def _check_tokens(tokens: torch.Tensor) -> torch.Tensor:
    check_tensor("tokens", tokens, ndim=2, floating=False)
    if tokens.numel() == 0:
        raise ValueError("tokens must not be empty")
    return tokens


def _run(model: nn.Module, tokens: torch.Tensor) -> None:
    # Train mode keeps torch off its fused inference path (which bypasses the hooked submodules); the course's
    # models have no dropout, so the forward pass computes the same function.
    was = model.training
    model.train()
    try:
        with torch.no_grad():
            model(tokens)
    finally:
        model.train(was)


def attention_entropy(tokens: torch.Tensor) -> Callable[[nn.Module], float]:
    """A probe: the mean entropy of the attention distributions on ``tokens``, divided by ``ln L``.

    For every layer, head and query position, ``H = -sum_j a_j ln a_j`` over the ``L`` keys; the probe averages
    ``H / ln L`` over all of them. 1 means uniform attention (every position looks at all positions equally, as
    at initialisation), values near 0 mean each query attends to one key. A run whose attention stays at 1 has
    not learned to route information (the failed Post-LN runs of notebook 02/07).
    """
    tokens = _check_tokens(tokens)
    length = tokens.shape[1]
    if length < 2:
        raise ValueError("tokens must have at least 2 positions for attention entropy")

    def probe(model: nn.Module) -> float:
        layers = _encoder_layers(model)
        values: list[float] = []

        def hook(module: nn.MultiheadAttention, args: tuple, kwargs: dict) -> None:
            q, k, v = args[:3]
            _, w = module(q, k, v, need_weights=True, average_attn_weights=False)
            ent = -(w.clamp_min(1e-12).log() * w).sum(-1)  # (N, heads, L)
            values.append(float(ent.mean()) / math.log(length))

        guard: set[int] = set()

        def guarded(module: nn.MultiheadAttention, args: tuple, kwargs: dict) -> None:
            # The hook calls the module again to get its weights: skip that inner call.
            if id(module) in guard:
                return
            guard.add(id(module))
            try:
                hook(module, args, kwargs)
            finally:
                guard.discard(id(module))

        handles = [layer.self_attn.register_forward_pre_hook(guarded, with_kwargs=True) for layer in layers]
        try:
            _run(model, tokens.to(next(model.parameters()).device))
        finally:
            for h in handles:
                h.remove()
        return float(np.mean(values))

    return probe


def dead_relu_fraction(tokens: torch.Tensor) -> Callable[[nn.Module], float]:
    """A probe: the fraction of feed-forward ReLU units that output 0 for every token of ``tokens``.

    A unit whose pre-activation ``linear1(x)`` is negative for every position of every sequence gets no gradient
    and cannot recover: the "dead ReLUs" that pile up in a Post-LN run hit by too large early updates.
    """
    tokens = _check_tokens(tokens)

    def probe(model: nn.Module) -> float:
        layers = _encoder_layers(model)
        dead: list[torch.Tensor] = []

        def hook(module: nn.Module, args: tuple, out: torch.Tensor) -> None:
            dead.append((out <= 0).reshape(-1, out.shape[-1]).all(dim=0))

        handles = [layer.linear1.register_forward_hook(hook) for layer in layers]
        try:
            _run(model, tokens.to(next(model.parameters()).device))
        finally:
            for h in handles:
                h.remove()
        return float(torch.cat(dead).float().mean())

    return probe


def grad_norm_by_layer(model: nn.Module, tokens: torch.Tensor, targets: torch.Tensor) -> np.ndarray:
    """``||∇_θℓ L||`` for each encoder layer ``ℓ`` (all its parameters together), bottom layer first, at the
    model's current weights on one batch — Xiong et al.'s measurement (their Fig. 3): at initialisation the
    Post-LN gradient grows towards the last layers, the Pre-LN one does not. Leaves no gradients behind."""
    layers = _encoder_layers(model)
    tokens = _check_tokens(tokens)
    check_tensor("targets", targets, floating=False)
    if targets.shape != tokens.shape:
        raise ValueError(f"targets must have the shape of tokens {tuple(tokens.shape)}, got {tuple(targets.shape)}")
    params = [list(layer.parameters()) for layer in layers]
    flat = [p for ps in params for p in ps]
    was = model.training
    model.train()
    try:
        with torch.enable_grad():
            loss = F.cross_entropy(model(tokens).flatten(0, -2), targets.flatten())
            grads = torch.autograd.grad(loss, flat)
    finally:
        model.train(was)
    out, i = [], 0
    for ps in params:
        g = grads[i : i + len(ps)]
        i += len(ps)
        out.append(float(torch.sqrt(sum((x.double() ** 2).sum() for x in g))))
    return np.asarray(out)
