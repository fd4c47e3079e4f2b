"""warmup_course.models: seeded builders, shapes, Post-LN vs Pre-LN structure, argument checks."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from warmup_course import models as M


def _params(model: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize(
    "build",
    [
        lambda s: M.mlp(hidden=16, depth=2, seed=s),
        lambda s: M.cnn(channels=(4, 8), batchnorm=True, seed=s),
        lambda s: M.transformer(d_model=16, heads=2, layers=2, ff=32, seed=s),
        lambda s: M.transformer(d_model=16, heads=2, layers=2, ff=32, norm="none", init="t-fixup", seed=s),
    ],
)
def test_builders_are_seeded_without_touching_global_rng(build) -> None:
    torch.manual_seed(123)
    state = torch.get_rng_state()
    a, b, c = _params(build(0)), _params(build(0)), _params(build(1))
    assert torch.equal(torch.get_rng_state(), state)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not all(torch.equal(x, y) for x, y in zip(a, c))


def test_mlp_shapes_and_batchnorm() -> None:
    plain = M.mlp(seed=0)
    bn = M.mlp(batchnorm=True, seed=0)
    assert not any(isinstance(m, nn.BatchNorm1d) for m in plain.modules())
    assert sum(isinstance(m, nn.BatchNorm1d) for m in bn.modules()) == 4
    assert sum(isinstance(m, nn.Linear) for m in bn.modules()) == 5
    assert plain(torch.zeros(3, 64)).shape == (3, 10)
    assert plain(torch.zeros(3, 1, 8, 8)).shape == (3, 10)  # images are flattened
    assert M.mlp(depth=0, num_classes=3)(torch.zeros(2, 64)).shape == (2, 3)


def test_cnn_shapes() -> None:
    model = M.cnn(batchnorm=True, seed=0)
    assert sum(isinstance(m, nn.BatchNorm2d) for m in model.modules()) == 2
    assert model(torch.zeros(5, 1, 8, 8)).shape == (5, 10)
    assert M.cnn(channels=(4,), image_size=4)(torch.zeros(2, 1, 4, 4)).shape == (2, 10)


@pytest.mark.parametrize("norm", ["post", "pre"])
def test_transformer_structure(norm: str) -> None:
    model = M.transformer(vocab=7, length=5, d_model=16, heads=4, layers=3, ff=24, norm=norm, seed=0)
    assert model(torch.zeros(2, 5, dtype=torch.long)).shape == (2, 5, 7)
    assert len(model.layers) == 3
    assert all(layer.norm_first == (norm == "pre") for layer in model.layers)
    assert isinstance(model.final_norm, nn.LayerNorm if norm == "pre" else nn.Identity)
    assert model.pos.weight.shape == (5, 16) and model.pos.weight.requires_grad
    # independently initialised layers (nn.TransformerEncoder would copy one layer's weights)
    assert not torch.equal(model.layers[0].linear1.weight, model.layers[1].linear1.weight)
    assert all(layer.dropout.p == 0.0 for layer in model.layers)


def test_norm_free_layer_is_two_residual_sums_without_layernorm() -> None:
    torch.manual_seed(0)
    layer = M.NormFreeEncoderLayer(8, 2, 16)
    x = torch.randn(3, 5, 8)
    attn = layer.self_attn(x, x, x, need_weights=False)[0]
    h = x + attn
    expected = h + layer.linear2(torch.relu(layer.linear1(h)))
    for mode in (layer.train, layer.eval):  # eval: torch's fast path (which needs LayerNorms) is not taken
        mode()
        with torch.no_grad():
            assert torch.allclose(layer(x), expected, atol=1e-6)
    model = M.transformer(vocab=7, length=5, d_model=16, heads=4, layers=3, ff=24, norm="none", seed=0)
    assert not any(isinstance(m, nn.LayerNorm) for m in model.modules())
    assert all(isinstance(layer, M.NormFreeEncoderLayer) for layer in model.layers)
    assert model.eval()(torch.zeros(2, 5, dtype=torch.long)).shape == (2, 5, 7)


def test_t_fixup_scales_follow_the_paper() -> None:
    """Huang et al. 2020, Alg. 2 (encoder), as in the authors' fairseq code: Xavier everywhere but the
    embeddings; v, out_proj, linear1, linear2 x 0.67 N^-1/4; embeddings N(0, d^-1/2) x (9N)^-1/4, times sqrt(d)
    in the forward pass; biases 0."""
    d, n, ff = 64, 6, 256
    model = M.transformer(vocab=4096, length=8, d_model=d, heads=4, layers=n, ff=ff, norm="none", init="t-fixup", seed=0)
    block = 0.67 * n**-0.25
    xavier = lambda fan_in, fan_out: (6 / (fan_in + fan_out)) ** 0.5  # the uniform bound
    assert model.init == "t-fixup" and model.embed_scale == d**0.5
    emb = model.embed.weight.detach()
    assert abs(emb.std().item() / (d**-0.5 * (9 * n) ** -0.25) - 1) < 0.02  # 262k draws
    assert abs(emb.mean().item()) < 1e-3
    for layer in model.layers:
        w = layer.self_attn.in_proj_weight.detach()
        bounds = {"q": (w[:d], xavier(d, d) / 2**0.5), "k": (w[d : 2 * d], xavier(d, d) / 2**0.5),
                  "v": (w[2 * d :], block * xavier(d, d)), "out": (layer.self_attn.out_proj.weight, block * xavier(d, d)),
                  "linear1": (layer.linear1.weight, block * xavier(d, ff)),
                  "linear2": (layer.linear2.weight, block * xavier(ff, d))}
        for name, (weight, bound) in bounds.items():
            top = weight.detach().abs().max().item()
            assert 0.97 * bound < top <= bound, (name, top, bound)  # uniform(-bound, bound): the max nears it
        for bias in (layer.self_attn.in_proj_bias, layer.self_attn.out_proj.bias, layer.linear1.bias, layer.linear2.bias):
            assert not bias.any()
    assert model.head.weight.abs().max().item() <= xavier(d, 4096) and not model.head.bias.any()
    # the positions are not part of T-Fixup: torch's N(0, 1), as in the other arrangements
    assert torch.equal(model.pos.weight, M.transformer(vocab=4096, length=8, d_model=d, heads=4, layers=n, ff=ff,
                                                       norm="none", seed=0).pos.weight)
    # deeper stacks start smaller: the block scale falls as N^-1/4
    deep = M.transformer(d_model=d, heads=4, layers=24, ff=ff, norm="none", init="t-fixup", seed=0)
    ratio = deep.layers[0].linear1.weight.abs().max() / model.layers[0].linear1.weight.abs().max()
    assert abs(ratio.item() - 4**-0.25) < 0.03


def test_transformer_is_position_aware() -> None:
    model = M.transformer(d_model=16, heads=2, layers=1, ff=32, seed=0).eval()
    x = torch.tensor([[1, 2, 3, 4] * 4])
    out = model(x)
    # same token at different positions gets different outputs thanks to the learned positions
    assert not torch.allclose(out[0, 0], out[0, 4])


def test_transformer_rejects_long_or_flat_input() -> None:
    model = M.transformer(length=4, d_model=8, heads=2, layers=1, ff=8)
    with pytest.raises(ValueError, match="tokens"):
        model(torch.zeros(2, 5, dtype=torch.long))
    with pytest.raises(ValueError, match="tokens"):
        model(torch.zeros(4, dtype=torch.long))


@pytest.mark.parametrize(
    "call, exc, word",
    [
        (lambda: M.mlp(hidden=0), ValueError, "hidden"),
        (lambda: M.mlp(depth=-1), ValueError, "depth"),
        (lambda: M.mlp(batchnorm=1), TypeError, "batchnorm"),
        (lambda: M.mlp(seed=-1), ValueError, "seed"),
        (lambda: M.mlp(in_features=6.0), TypeError, "in_features"),
        (lambda: M.cnn(channels=()), TypeError, "channels"),
        (lambda: M.cnn(channels=(4, 4, 4, 4)), ValueError, "image_size"),
        (lambda: M.transformer(norm="middle"), ValueError, "norm"),
        (lambda: M.transformer(d_model=30, heads=4), ValueError, "d_model"),
        (lambda: M.transformer(layers=0), ValueError, "layers"),
        (lambda: M.transformer(dropout=1.5), ValueError, "dropout"),
        (lambda: M.transformer(init="fixup"), ValueError, "init"),
        (lambda: M.transformer(init=None), ValueError, "init"),
        (lambda: M.transformer(norm="post", init="t-fixup"), ValueError, "norm"),
        (lambda: M.t_fixup_(M.mlp()), TypeError, "model"),
        (lambda: M.t_fixup_(M.transformer(norm="pre")), ValueError, "norm"),
    ],
)
def test_bad_arguments(call, exc, word) -> None:
    with pytest.raises(exc, match=word):
        call()


def test_count_parameters() -> None:
    model = M.mlp(in_features=4, hidden=3, depth=1, num_classes=2)
    assert M.count_parameters(model) == (4 * 3 + 3) + (3 * 2 + 2)
