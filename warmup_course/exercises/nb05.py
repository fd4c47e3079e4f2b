"""Checks for notebook 05 (best practices: warmup length, watching warmup, large batches, data parallel).

1. :func:`check_warmup_choice` -- the learner applies the tuning playbook's last step to a warmup-length sweep:
   the shortest length at which every seed trained stably, and every longer length in the grid too
   (:func:`shortest_stable_reference`).
2. :func:`check_dashboard_reading` -- the learner reads a :class:`~warmup_course.monitor.WarmupMonitor` dashboard
   and says what went wrong (multiple choice, :data:`DASHBOARD_CHOICES`).
3. :func:`check_warmup_updates` -- the learner converts a recipe's warmup given in epochs into optimizer updates
   for a new global batch: ``per_worker_batch x workers x grad_accum`` examples per update.

:data:`QUIZ` holds multiple-choice questions for the instructor (plain dicts: question, choices, answer, why).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from warmup_course.exercises.core import Verdict, check, check_choice, checker
from warmup_course.validation import MAX_ITEMS, check_int, check_real, describe

__all__ = ["warmup_updates_reference", "check_warmup_updates", "QUIZ", "CASES", "shortest_stable_reference",
           "check_warmup_choice", "CHOICE_CASES", "DASHBOARD_CHOICES", "check_dashboard_reading"]


# ------------------------------------------------------------------------------------ 1. choose a warmup length


def _stable_mapping(stable: Any, name: str = "stable") -> dict[int, list[bool]]:
    if not isinstance(stable, Mapping) or not stable:
        raise TypeError(f"{name} must be a non-empty mapping warmup length -> per-seed booleans, got {describe(stable)}")
    out: dict[int, list[bool]] = {}
    for w, flags in stable.items():
        w = check_int(f"{name} key", w, 0, MAX_ITEMS)
        if isinstance(flags, (str, bytes)) or not isinstance(flags, Sequence) or not flags:
            raise TypeError(f"{name}[{w}] must be a non-empty sequence of booleans, got {describe(flags)}")
        if not all(isinstance(f, bool) or type(f).__name__ == "bool_" for f in flags):
            raise TypeError(f"{name}[{w}] must hold booleans (one per seed), got {describe(flags)}")
        out[w] = [bool(f) for f in flags]
    return out


def shortest_stable_reference(stable: Mapping[int, Sequence[bool]]) -> int | None:
    """The tuning playbook's choice from a warmup-length sweep at the target LR: the shortest length ``W`` such that
    every seed trained stably at ``W`` *and at every longer length of the grid* (a short length that was stable
    by luck below one that failed is not trusted); None if even the longest length failed on a seed.

    ``stable[W]`` holds one boolean per seed. Google Research tuning playbook, "How to apply learning rate warmup"
    (https://github.com/google-research/tuning_playbook): sweep warmup lengths on a log scale and "choose the
    shortest" one that makes training at the target LR stable.
    """
    table = _stable_mapping(stable)
    lengths = sorted(table)
    ok = [all(table[w]) for w in lengths]
    for i, w in enumerate(lengths):
        if all(ok[i:]):
            return w
    return None


#: Sweeps the checker of exercise 1 tries (the notebook adds its own observed sweep): ``{W: per-seed stable}``.
CHOICE_CASES: tuple[dict[int, list[bool]], ...] = (
    {0: [False, False, False], 2: [False, True, False], 4: [True, True, False], 5: [True, True, True], 10: [True, True, True],
     20: [True, True, True]},
    # listed out of order; a lucky stable seed at 1 and a lucky all-stable 2 below a failing 4
    {20: [True, True, True, True], 0: [False, False, True, False], 8: [True, True, True, True],
     2: [True, True, True, True], 4: [True, False, True, True], 1: [False, True, False, False]},
    {0: [True, True], 10: [True, True], 100: [True, True]},
    {0: [False, False], 30: [False, True], 60: [True, False]},
)


def check_warmup_choice(fn: Any = ..., observed: Mapping[int, Sequence[bool]] | None = None) -> Verdict:
    """``fn(stable) -> int | None``: the warmup length the playbook keeps (see :func:`shortest_stable_reference`).

    ``observed``: the notebook's own sweep, tried after :data:`CHOICE_CASES`.
    """
    # The sweep is the notebook's data, not the learner's answer: a bad one is refused by name here, before the
    # answer is judged (inside the check it would read as "your code raised TypeError").
    observed_case = _stable_mapping(observed, "observed") if observed is not None else None
    return check(_check_warmup_choice, fn, observed_case)


def _check_warmup_choice(fn: Any, observed_case: dict[int, list[bool]] | None) -> Verdict:
    observed = observed_case
    if not callable(fn):
        return Verdict.wrong(f"expected a function stable -> warmup length, got {type(fn).__name__}")
    cases = list(CHOICE_CASES) + ([observed_case] if observed_case is not None else [])
    for case in cases:
        want = shortest_stable_reference(case)
        got = fn({w: list(v) for w, v in case.items()})  # a copy: the learner's function may modify it
        if hasattr(got, "item") and not isinstance(got, (list, tuple)):
            got = got.item()  # numpy integers
        if got == want and (got is None or (isinstance(got, int) and not isinstance(got, bool))):
            continue
        lengths = sorted(case)
        shown = ", ".join(f"W={w}: {sum(case[w])}/{len(case[w])} stable" for w in lengths)
        where = f"for the sweep {{{shown}}}"
        if want is None and got is not None:
            return Verdict.wrong(f"{where}: even the longest warmup failed on a seed, so no length in this grid is "
                                 f"safe -- return None (and lower the target LR or extend the grid), not {got!r}.")
        if (isinstance(got, int) and not isinstance(got, bool) and want is not None and got == lengths.index(want)
                and got not in case):
            return Verdict.wrong(f"{where}: you returned {got}, which looks like a position in the sorted grid; "
                                 f"return the warmup length itself ({want}).")
        if got == max(lengths) and want != got:
            return Verdict.wrong(f"{where}: the longest warmup is safe but wastes budget at a low LR; the playbook "
                                 f"keeps the SHORTEST stable length, {want}.")
        majority = [w for w in lengths if 2 * sum(case[w]) > len(case[w])]
        if majority and got == majority[0] and got != want and not all(case[got]):
            return Verdict.wrong(f"{where}: at W={got} only {sum(case[got])}/{len(case[got])} seeds were stable; "
                                 f"'stable' means every seed -- a length that fails on some seeds is not a recipe. Want {want}.")
        lucky = [w for w in lengths if all(case[w])]
        if lucky and got == lucky[0] and got != want:
            return Verdict.wrong(f"{where}: W={got} was stable, but a longer length failed on a seed, so W={got} "
                                 f"was stable by luck; keep the shortest length from which on every longer one is "
                                 f"stable too: {want}.")
        if got is not None and not (isinstance(got, int) and not isinstance(got, bool)):
            return Verdict.wrong(f"{where}: return a warmup length (an int, or None), got {got!r}")
        return Verdict.wrong(f"{where}: expected W={want}, got {got!r}.")
    extra = "" if observed is None else f" On this notebook's sweep it keeps W={shortest_stable_reference(observed)}."
    return Verdict.correct("the shortest warmup that is stable on every seed, with every longer one stable too: the "
                           "least budget spent ramping for a run you can trust." + extra)


# ------------------------------------------------------------------------------------ 2. read a dashboard

#: Exercise 2's options: what went wrong in the run whose dashboard the notebook draws (SGD at LR 3.2 on the
#: BatchNorm MLP with a 2-update linear warmup -- "one epoch" at batch 512).
DASHBOARD_CHOICES: dict[str, str] = {
    "A": "The warmup was far too short: the LR reached its peak within two updates, the update ratio ||dW||/||W|| "
         "was flagged right there, and the loss blew up a few updates later. The monitor saw it first; a longer "
         "warmup (15 to 30 updates here) fixes it.",
    "B": "No: the LR panel shows the LR at its 3.2 target after two updates -- it was not too low; a too-low LR "
         "gives a calm, slowly falling loss and update ratios far below the threshold.",
    "C": "No: a too-long warmup keeps the LR rising for much of the run with no flags; here the ramp is over "
         "after two updates and the flags come at the start.",
    "D": "No: a broken data pipeline shows a loss that does not fall (or spikes with no change in LR or update "
         "size); here the update ratio was flagged BEFORE the loss rose, at the moment the LR hit its peak.",
}


def check_dashboard_reading(answer: Any) -> Verdict:
    """Exercise 2: one of :data:`DASHBOARD_CHOICES`' keys ("A".."D")."""
    explanations = {k: v if k != "A" else "right. " + v for k, v in DASHBOARD_CHOICES.items()}
    return check_choice(answer, "A", explanations, name="answer")


# ------------------------------------------------------------------------------------ 3. epochs -> updates

#: (epochs, dataset_size, per_worker_batch, workers, grad_accum) the checker tries; the first is Goyal et al.'s
#: ResNet-50 run (5 warmup epochs, 1,281,167 ImageNet images, 32 images on each of 256 GPUs: batch 8k).
CASES: tuple[tuple[float, int, int, int, int], ...] = (
    (5, 1_281_167, 32, 256, 1),
    (5, 1_437, 32, 2, 1),
    (2, 50_000, 64, 4, 2),
    (0.5, 10_000, 16, 8, 4),
    (3, 1_000, 100, 1, 1),
)


def warmup_updates_reference(epochs: float, dataset_size: int, per_worker_batch: int, workers: int = 1,
                             grad_accum: int = 1) -> int:
    """Warmup updates for a warmup of ``epochs`` epochs: ``round(epochs * floor(N / B))`` with the global batch
    ``B = per_worker_batch * workers * grad_accum`` (one optimizer update per global batch; a last, partial batch
    dropped, as the course's loaders and most large-batch recipes do)."""
    epochs = check_real("epochs", epochs, 0.0, 1e6)
    dataset_size = check_int("dataset_size", dataset_size, 1, MAX_ITEMS)
    per_worker_batch = check_int("per_worker_batch", per_worker_batch, 1, MAX_ITEMS)
    workers = check_int("workers", workers, 1, 10**6)
    grad_accum = check_int("grad_accum", grad_accum, 1, 10**6)
    global_batch = per_worker_batch * workers * grad_accum
    return round(epochs * (dataset_size // global_batch))


def _answer(fn: Callable, case: tuple) -> int:
    epochs, n, b, w, a = case
    return fn(epochs, n, b, w, a)


@checker
def check_warmup_updates(fn) -> Verdict:
    """``fn(epochs, dataset_size, per_worker_batch, workers, grad_accum) -> int`` warmup updates."""
    if not callable(fn):
        return Verdict.wrong(f"expected a function (epochs, dataset_size, per_worker_batch, workers, grad_accum) "
                             f"-> int, got {type(fn).__name__}")
    for case in CASES:
        epochs, n, b, w, a = case
        got = _answer(fn, case)
        want = warmup_updates_reference(*case)
        if isinstance(got, float) and got.is_integer():
            got = int(got)
        if got == want:
            continue
        where = f"for {epochs} epochs of {n:,} examples, {b} per worker x {w} workers x {a} accumulation"
        if not isinstance(got, int) or isinstance(got, bool):
            return Verdict.wrong(f"{where}: return a whole number of updates (an int), got {got!r}")
        if got == round(epochs * (n // b)) or got == round(epochs * n / b):
            return Verdict.wrong(f"{where}: you divided by the per-worker batch; one update consumes the "
                                 f"global batch {b} x {w} x {a} = {b * w * a}, so there are {want} warmup updates.")
        if a > 1 and got == round(epochs * (n // (b * w))):
            return Verdict.wrong(f"{where}: gradient accumulation makes one update out of {a} micro-batches; "
                                 f"the global batch is {b * w * a}, so {want} warmup updates, not {got}.")
        if got == round(epochs * n):
            return Verdict.wrong(f"{where}: that counts examples, not optimizer updates; want {want}.")
        if got == math.ceil(epochs * n / (b * w * a)) and got != want:
            return Verdict.wrong(f"{where}: close -- but the last, partial batch of each epoch is dropped "
                                 f"(floor(N / B) updates per epoch): {want}, not {got}.")
        return Verdict.wrong(f"{where}: expected {want} warmup updates, got {got}.")
    return Verdict.correct(
        "warmup updates = epochs x floor(N / (per-worker batch x workers x accumulation)): Goyal et al.'s 5 epochs "
        f"at batch 8k are {warmup_updates_reference(*CASES[0])} updates; the same 5 epochs are 5x more updates "
        "at a batch 5x smaller -- a warmup in epochs shrinks in updates as the batch grows."
    )


QUIZ = [
    {
        "question": "A warmup-length sweep over 0-100 % of the run usually has which shape?",
        "choices": [
            "A U: too short and too long are equally bad",
            "An L: too short is dramatic (divergence or a stuck run), too long a mild cost that grows with the "
            "share of the budget spent ramping",
            "Flat: warmup length rarely matters",
            "Monotone: the longer the warmup, the better",
        ],
        "answer": 1,
        "why": "Below the length the peak LR needs, runs fail outright; above it they only lose the updates spent "
               "at a low LR (EXPERIMENT-NOTES E; Kalra & Barkeshli 2024).",
    },
    {
        "question": "The Google tuning playbook's way to pick a warmup: what do you sweep, and what do you keep?",
        "choices": [
            "Sweep the peak LR with a fixed 10 % warmup; keep the best LR",
            "Find the LR where training without warmup becomes unstable, take a target above it, sweep warmup "
            "lengths on a log scale, keep the shortest that trains stably at the target",
            "Use 2/(1 - beta2) updates for Adam and never sweep",
            "Sweep warmup lengths at the LR that works without warmup",
        ],
        "answer": 1,
        "why": "Warmup exists to make a larger LR usable; the playbook ties its length to the LR it must unlock "
               "and keeps the shortest stable one, so the budget spent ramping stays small.",
    },
    {
        "question": "Two workers with batch 64 each train with DDP. Which single-process run gives the same updates "
                   "(a model without BatchNorm)?",
        "choices": [
            "Batch 64 at the same LR",
            "Batch 128 at the same LR and the same warmup in updates",
            "Batch 64 with twice the warmup",
            "Batch 128 with half the warmup",
        ],
        "answer": 1,
        "why": "DDP averages the two shards' gradients: that is the gradient of the global batch of 128, update "
               "for update. With BatchNorm the statistics stay per worker (64), unlike one process at 128.",
    },
    {
        "question": "A recipe warms up for 5 epochs at batch 256; you train at batch 1024 on the same data. In "
                    "optimizer updates, the same 5 epochs are…",
        "choices": ["4x more updates", "the same number of updates", "4x fewer updates", "16x fewer updates"],
        "answer": 2,
        "why": "An epoch is N / B updates: at a 4x larger batch each epoch has 4x fewer updates, so a warmup in "
               "epochs shrinks in updates -- while the linearly scaled LR it must reach is 4x higher.",
    },
]
