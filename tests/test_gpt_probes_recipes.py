"""The tiny GPT, the Transformer probes and the published recipes of notebook 07."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from warmup_course import models, schedules
from warmup_course.data import SequenceTask, load_text
from warmup_course.gpt import TinyGPT, generate, gpt, param_groups
from warmup_course.probes import attention_entropy, dead_relu_fraction, grad_norm_by_layer
from warmup_course.recipes import RECIPES, Recipe, recipes_table


# ------------------------------------------------------------------------------------------------ gpt


def test_gpt_is_causal_seeded_and_tied():
    m1, m2 = gpt(seed=3), gpt(seed=3)
    assert all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m2.state_dict().values()))
    assert m1.head.weight is m1.embed.weight
    x = torch.randint(63, (2, 16), generator=torch.Generator().manual_seed(0))
    y1 = m1(x)
    x2 = x.clone()
    x2[:, 10] = (x2[:, 10] + 1) % 63  # changing position 10 must not change predictions before it
    y2 = m1(x2)
    assert y1.shape == (2, 16, 63)
    assert torch.allclose(y1[:, :10], y2[:, :10]) and not torch.allclose(y1[:, 10:], y2[:, 10:])


def test_gpt_init_follows_nanogpt():
    m = gpt(layers=4, seed=0)
    proj = torch.cat([b.proj.weight.detach().flatten() for b in m.blocks])
    fc = torch.cat([b.fc.weight.detach().flatten() for b in m.blocks])
    assert abs(float(fc.std()) - 0.02) < 0.002
    assert abs(float(proj.std()) - 0.02 / math.sqrt(8)) < 0.001
    assert all(float(b.qkv.bias.detach().abs().max()) == 0.0 for b in m.blocks)


def test_param_groups_split_matrices_from_gains_and_count_tied_weights_once():
    m = gpt(seed=0)
    groups = param_groups(m, 0.1)
    decay, rest = groups
    assert decay["weight_decay"] == 0.1 and rest["weight_decay"] == 0.0
    assert all(p.dim() >= 2 for p in decay["params"]) and all(p.dim() < 2 for p in rest["params"])
    n = sum(p.numel() for g in groups for p in g["params"])
    assert n == sum(p.numel() for p in m.parameters())  # parameters() also lists a tied tensor once
    assert param_groups(list(m.parameters()), 0.1)[0]["params"] == decay["params"]
    with pytest.raises(ValueError, match="weight_decay"):
        param_groups(m, -1.0)
    with pytest.raises(TypeError, match="params"):
        param_groups("abc", 0.1)


def test_generate_is_deterministic_and_starts_with_the_prompt():
    c = load_text()
    m = gpt(vocab=c.vocab_size, seed=1)
    a = generate(m, c, "HAMLET:\n", 40, seed=5)
    assert a == generate(m, c, "HAMLET:\n", 40, seed=5) and a.startswith("HAMLET:\n") and len(a) == 48
    assert a != generate(m, c, "HAMLET:\n", 40, seed=6)
    with pytest.raises(ValueError, match="temperature"):
        generate(m, c, "A", 5, temperature=0.0)
    with pytest.raises(TypeError, match="model"):
        generate(models.mlp(), c, "A", 5)


def test_gpt_bad_arguments_name_the_parameter():
    with pytest.raises(ValueError, match="norm"):
        gpt(norm="mid")
    with pytest.raises(ValueError, match="divisible"):
        gpt(d_model=64, heads=3)
    with pytest.raises(ValueError, match="tokens"):
        gpt(context=8)(torch.zeros(1, 9, dtype=torch.long))


# ------------------------------------------------------------------------------------------------ probes


@pytest.fixture(scope="module")
def reverse_batch():
    task = SequenceTask(kind="reverse", length=8, vocab=16, eval_size=64)
    return task.eval_set()


def test_attention_entropy_is_one_for_uniform_attention_and_lower_for_peaked(reverse_batch):
    x, _ = reverse_batch
    m = models.transformer(length=8, layers=2, seed=0)
    for layer in m.layers:  # zero the q/k projections: every score is equal, attention is uniform
        with torch.no_grad():
            d = layer.self_attn.embed_dim
            layer.self_attn.in_proj_weight[: 2 * d].zero_()
            layer.self_attn.in_proj_bias[: 2 * d].zero_()
    assert attention_entropy(x)(m) == pytest.approx(1.0, abs=1e-6)
    for layer in m.layers:  # huge q/k: scores spread widely, attention concentrates
        with torch.no_grad():
            d = layer.self_attn.embed_dim
            layer.self_attn.in_proj_weight[: 2 * d].normal_(0, 5.0)
    assert attention_entropy(x)(m) < 0.5


def test_dead_relu_fraction_counts_units_negative_for_every_token(reverse_batch):
    x, _ = reverse_batch
    m = models.transformer(length=8, layers=2, ff=32, seed=0)
    assert dead_relu_fraction(x)(m) == 0.0
    with torch.no_grad():
        m.layers[0].linear1.bias[:8] = -1e6  # 8 of 64 units can never fire
    assert dead_relu_fraction(x)(m) == pytest.approx(8 / 64)


def test_grad_norm_by_layer_matches_autograd_and_leaves_no_gradients(reverse_batch):
    x, y = reverse_batch
    m = models.transformer(length=8, layers=3, seed=0)
    g = grad_norm_by_layer(m, x, y)
    loss = torch.nn.functional.cross_entropy(m(x).flatten(0, -2), y.flatten())
    loss.backward()
    want = [math.sqrt(sum(float((p.grad ** 2).sum()) for p in layer.parameters())) for layer in m.layers]
    assert np.allclose(g, want, rtol=1e-5)
    m.zero_grad(set_to_none=True)
    grad_norm_by_layer(m, x, y)
    assert all(p.grad is None for p in m.parameters())
    with pytest.raises(ValueError, match="TransformerEncoderLayer"):
        grad_norm_by_layer(models.mlp(), x, y)
    with pytest.raises(ValueError, match="targets"):
        grad_norm_by_layer(m, x, y[:, :4])


# ------------------------------------------------------------------------------------------------ recipes


def test_every_recipe_schedule_ramps_to_its_peak_at_the_end_of_warmup():
    for r in RECIPES:
        s = r.schedule()
        t = np.arange(r.total + 1)
        v = s(t)
        assert v.max() == pytest.approx(1.0) and v[r.warmup] == pytest.approx(1.0), r.name
        if r.decay != "constant_then_inverse_sqrt":
            assert v[0] == pytest.approx(r.start_factor), r.name
            assert np.all(np.diff(v[: r.warmup + 1]) > 0), r.name
        assert np.all(np.diff(v[r.warmup :]) <= 1e-12), r.name


def test_recipes_match_their_published_formulas():
    by = {r.name: r for r in RECIPES}
    noam = by["Transformer base"]
    n = np.arange(1, 20_000)
    formula = 512 ** -0.5 * np.minimum(n ** -0.5, n * 4000 ** -1.5)
    assert np.allclose(noam.peak_lr * noam.schedule()(n), formula, rtol=1e-9)
    t5 = by["T5"].schedule()
    n = np.arange(1, 50_000)
    assert np.allclose(t5(n), (1 / np.sqrt(np.maximum(n, 1e4))) / (1 / np.sqrt(1e4)))  # 1/sqrt(max(n, k)), peak 1
    goyal = by["ResNet-50, batch 8k (Goyal)"].schedule()
    assert goyal(0) == pytest.approx(0.1 / 3.2)  # the small-batch LR
    assert goyal(61 * 156) == pytest.approx(0.01)  # after the epoch-60 drop
    assert by["Llama 2 7B"].schedule()(500_000) == pytest.approx(0.1)


def test_multistep_decay_equals_torch_multisteplr():
    s = schedules.multistep_decay([30, 60, 80], 0.1)
    opt = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    sch = torch.optim.lr_scheduler.MultiStepLR(opt, [30, 60, 80], 0.1)
    got = []
    for _ in range(120):
        got.append(opt.param_groups[0]["lr"])
        opt.step()
        sch.step()
    assert np.allclose(got, s(np.arange(120)))
    with pytest.raises(ValueError, match="increasing"):
        schedules.multistep_decay([5, 5])
    with pytest.raises(TypeError, match="milestones"):
        schedules.multistep_decay(5)


def test_recipes_table_lists_every_recipe_and_bad_recipes_are_refused():
    table = recipes_table()
    assert all(r.name in table for r in RECIPES) and table.count("\n") == len(RECIPES) + 1
    with pytest.raises(ValueError, match="warmup"):
        Recipe("x", 2020, "pre-training", "Adam", 1e-3, 10, 5, "linear", "1", "src")
    with pytest.raises(ValueError, match="decay"):
        Recipe("x", 2020, "pre-training", "Adam", 1e-3, 1, 5, "exp", "1", "src")
