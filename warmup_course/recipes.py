"""Published training recipes and their warmup, as data, with their schedules rebuilt from the course's pieces.

Each :class:`Recipe` records what its paper or code states — optimizer, peak learning rate, warmup and run length
in optimizer updates, decay, batch — and where it says so. :meth:`Recipe.schedule` rebuilds its learning-rate
multiplier with :mod:`warmup_course.schedules`, so the schedules can be drawn at true scale beside each other.
Only what the source states is recorded; a field the source leaves open is ``None``, and ``note`` says what was
derived (for example an update count from tokens and batch size).
"""

from __future__ import annotations

from dataclasses import dataclass

from warmup_course.schedules import (
    Schedule,
    constant,
    cosine_decay,
    inverse_sqrt_decay,
    linear_decay,
    linear_warmup,
    multistep_decay,
    with_warmup,
)
from warmup_course.validation import check_choice, check_int, check_real, check_str, describe

__all__ = ["DECAYS", "RECIPES", "Recipe", "recipes_table"]

#: The decay shapes a recipe can name.
DECAYS = ("linear", "cosine", "inverse_sqrt", "multistep", "constant_then_inverse_sqrt")


@dataclass(frozen=True)
class Recipe:
    """One published recipe. ``warmup`` and ``total`` are optimizer updates; ``min_factor`` is where the decay ends
    as a fraction of the peak; ``milestones`` (fractions of ``total``) and ``gamma`` describe a multi-step decay;
    ``start_factor`` is where the warmup starts (Goyal et al. start at the small-batch LR, 1/k of the peak)."""

    name: str
    year: int
    kind: str  # "pre-training" or "fine-tuning"
    optimizer: str
    peak_lr: float | None
    warmup: int
    total: int
    decay: str
    batch: str
    source: str
    min_factor: float = 0.0
    milestones: tuple[float, ...] = ()
    gamma: float = 1.0
    start_factor: float = 0.0
    note: str = ""

    def __post_init__(self) -> None:
        for key in ("name", "optimizer", "batch", "source"):
            check_str(key, getattr(self, key))
        check_str("note", self.note, nonempty=False)
        check_int("year", self.year, 1950, 2100)
        if self.peak_lr is not None:
            check_real("peak_lr", self.peak_lr, 0.0, low_open=True)
        check_int("warmup", self.warmup, 0)
        check_int("total", self.total, 1, 10**12)  # far above any real run (a stretched one included)
        if not isinstance(self.milestones, tuple):
            raise TypeError(f"milestones must be a tuple of fractions of the run, got {describe(self.milestones)}")
        for m in self.milestones:
            check_real("milestones", m, 0.0, 1.0, low_open=True, high_open=True)
        check_real("gamma", self.gamma, 0.0, 1.0, low_open=True)
        if self.warmup >= self.total:
            raise ValueError(f"warmup must be < total, got warmup={self.warmup}, total={self.total}")
        check_choice("decay", self.decay, DECAYS)
        check_choice("kind", self.kind, ("pre-training", "fine-tuning"))
        check_real("min_factor", self.min_factor, 0.0, 1.0)
        check_real("start_factor", self.start_factor, 0.0, 1.0, high_open=True)

    @property
    def warmup_share(self) -> float:
        """Warmup as a fraction of the run, ``warmup / total``."""
        return self.warmup / self.total

    def schedule(self) -> Schedule:
        """The recipe's LR multiplier (1 at the peak) as a course schedule, per optimizer update."""
        w, t = self.warmup, self.total
        if self.decay == "constant_then_inverse_sqrt":  # T5: 1/sqrt(max(n, k)), constant for n < k
            return with_warmup(constant(), inverse_sqrt_decay(w), w) if w else inverse_sqrt_decay(1.0)
        ramp = linear_warmup(w, self.start_factor) if w else constant()
        if self.decay == "linear":
            then: Schedule = linear_decay(t - w, self.min_factor)
        elif self.decay == "cosine":
            then = cosine_decay(t - w, self.min_factor)
        elif self.decay == "inverse_sqrt":  # Noam: sqrt(W / t) after the warmup
            then = inverse_sqrt_decay(w)
        else:  # multistep: milestones are fractions of the whole run, on the decay's own clock after the warmup
            then = multistep_decay([max(1, round(m * t) - w) for m in self.milestones], self.gamma)
        return with_warmup(ramp, then, w)


_VASWANI = "Vaswani et al. 2017, Attention Is All You Need, §5.3 (https://arxiv.org/abs/1706.03762)"

#: The recipes notebook 07 reads, oldest first. Shares are computed, not quoted.
RECIPES: tuple[Recipe, ...] = (
    Recipe("Transformer base", 2017, "pre-training", "Adam (0.9, 0.98), eps 1e-9", 512 ** -0.5 * 4000 ** -0.5,
           4000, 100_000, "inverse_sqrt", "~25k tokens", _VASWANI,
           note="peak = d_model^-0.5 * warmup^-0.5 = 7.0e-4 (the 'Noam' formula)"),
    Recipe("ResNet-50, batch 8k (Goyal)", 2017, "pre-training", "SGD, momentum 0.9", 3.2,
           5 * 156, 90 * 156, "multistep", "8,192 images",
           "Goyal et al. 2017, Accurate, Large Minibatch SGD, §2.2 and §5.1 (https://arxiv.org/abs/1706.02677)",
           milestones=(30 / 90, 60 / 90, 80 / 90), gamma=0.1, start_factor=1 / 32,
           note="5 of 90 epochs; 1.28M images / 8,192 = 156 updates per epoch; warmup from 0.1 (the batch-256 LR)"),
    Recipe("BERT (pre-training)", 2018, "pre-training", "Adam (0.9, 0.999), wd 0.01", 1e-4,
           10_000, 1_000_000, "linear", "256 sequences",
           "Devlin et al. 2018, BERT, Appendix A.2 (https://arxiv.org/abs/1810.04805)"),
    Recipe("BERT (fine-tuning)", 2018, "fine-tuning", "Adam, wd 0.01", 2e-5,
           37, 366, "linear", "32 sequences",
           "google-research/bert run_classifier.py: warmup_proportion = 0.1; lr 2e-5 to 5e-5, 2-4 epochs (paper §A.3)",
           note="an example run of 3 epochs on 3,900 examples; the rule is warmup = 10 % of the updates"),
    Recipe("RoBERTa-large", 2019, "pre-training", "Adam (0.9, 0.98), eps 1e-6, wd 0.01", 4e-4,
           30_000, 500_000, "linear", "8k sequences",
           "Liu et al. 2019, RoBERTa, Table 9 (https://arxiv.org/abs/1907.11692)"),
    Recipe("T5", 2019, "pre-training", "Adafactor", 1e-2, 10_000, 524_288, "constant_then_inverse_sqrt",
           "65k tokens", "Raffel et al. 2019, T5, §3.1.2 (https://arxiv.org/abs/1910.10683)",
           note="1/sqrt(max(n, k)), k = 10^4: a constant 0.01 for 10^4 updates, no ramp at all"),
    Recipe("GPT-3 125M", 2020, "pre-training", "Adam (0.9, 0.95), eps 1e-8", 6e-4,
           715, 572_205, "cosine", "0.5M tokens",
           "Brown et al. 2020, GPT-3, Appendix B and Table 2.1 (https://arxiv.org/abs/2005.14165)", min_factor=0.1,
           note="warmup over 375M tokens, cosine to 10 % over 260B, run of 300B: updates at 0.5M tokens each "
                "(the batch itself was ramped up over the first 4-12B tokens)"),
    Recipe("ViT-B/16 (ImageNet-21k)", 2020, "pre-training", "Adam (0.9, 0.999), wd 0.03", 1e-3,
           10_000, 312_000, "linear", "4,096 images",
           "Dosovitskiy et al. 2020, ViT, Table 3 and Appendix B.1 (https://arxiv.org/abs/2010.11929)",
           note="90 epochs of ~14.2M images at batch 4,096 ≈ 312k updates (derived)"),
    Recipe("DeiT-B", 2020, "pre-training", "AdamW, wd 0.05", 5e-4 * 1024 / 512,
           5 * 1251, 300 * 1251, "cosine", "1,024 images",
           "Touvron et al. 2020, DeiT, Table 9; facebookresearch/deit main.py (https://arxiv.org/abs/2012.12877)",
           note="lr = 5e-4 * batch / 512; 5 of 300 epochs; 1.28M / 1,024 = 1,251 updates per epoch"),
    Recipe("LLaMA 7B", 2023, "pre-training", "AdamW (0.9, 0.95), wd 0.1, clip 1.0", 3e-4,
           2_000, 250_000, "cosine", "4M tokens",
           "Touvron et al. 2023, LLaMA, §2.2 (https://arxiv.org/abs/2302.13971)", min_factor=0.1,
           note="1T tokens / 4M per update = 250k updates"),
    Recipe("Llama 2 7B", 2023, "pre-training", "AdamW (0.9, 0.95), wd 0.1, clip 1.0", 3e-4,
           2_000, 500_000, "cosine", "4M tokens",
           "Touvron et al. 2023, Llama 2, §2.2 (https://arxiv.org/abs/2307.09288)", min_factor=0.1,
           note="2T tokens / 4M per update = 500k updates"),
    Recipe("Pythia 6.9B", 2023, "pre-training", "Adam (0.9, 0.95)", 1.2e-4,
           1_430, 143_000, "cosine", "2M tokens",
           "Biderman et al. 2023, Pythia, Appendix E (https://arxiv.org/abs/2304.01373)", min_factor=0.1),
    Recipe("OLMo 7B", 2024, "pre-training", "AdamW (0.9, 0.95), wd 0.1", 3e-4,
           5_000, 557_000, "linear", "4M tokens",
           "Groeneveld et al. 2024, OLMo; allenai/OLMo-7B model card (https://arxiv.org/abs/2402.00838)",
           min_factor=0.1, note="checkpoint step556000-tokens2460B ends the run"),
    Recipe("DeepSeek LLM 7B", 2024, "pre-training", "AdamW (0.9, 0.95), wd 0.1", 4.2e-4,
           2_000, 212_000, "multistep", "9.4M tokens",
           "DeepSeek-AI 2024, DeepSeek LLM, §2.3 (https://arxiv.org/abs/2401.02954)",
           milestones=(0.8, 0.9), gamma=0.316,
           note="multi-step: x0.316 at 80 % and at 90 % of the tokens; the run length here is illustrative"),
    Recipe("Llama 3 405B", 2024, "pre-training", "AdamW", 8e-5,
           8_000, 1_200_000, "cosine", "4M→16M tokens",
           "Llama Team 2024, The Llama 3 Herd of Models, §3.4.1 (https://arxiv.org/abs/2407.21783)", min_factor=0.01,
           note="cosine to 8e-7 over 1.2M updates; the batch grows from 4M to 16M tokens during training"),
    Recipe("nanoGPT (GPT-2 124M)", 2023, "pre-training", "AdamW (0.9, 0.95), wd 0.1, clip 1.0", 6e-4,
           2_000, 600_000, "cosine", "~0.5M tokens",
           "karpathy/nanoGPT train.py defaults (warmup_iters, lr_decay_iters, min_lr = 6e-5)", min_factor=0.1),
)


def recipes_table(recipes: tuple[Recipe, ...] = RECIPES) -> str:
    """A Markdown table: model, year, optimizer, peak LR, warmup (updates and share), decay, batch."""
    if not isinstance(recipes, tuple) or not all(isinstance(r, Recipe) for r in recipes):
        raise TypeError("recipes must be a tuple of Recipe")
    lines = [
        "| model | year | optimizer | peak LR | warmup | share | decay | batch |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in recipes:
        peak = "—" if r.peak_lr is None else f"{r.peak_lr:.2g}"
        lines.append(
            f"| {r.name} | {r.year} | {r.optimizer} | {peak} | {r.warmup:,} of {r.total:,} | "
            f"{100 * r.warmup_share:.2g} % | {r.decay.replace('_', ' ')} | {r.batch} |"
        )
    return "\n".join(lines)
