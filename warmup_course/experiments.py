"""Configurations x seeds -> a tidy table and a per-configuration summary.

A claim about warmup is a claim about a distribution over seeds, so the unit of evidence here is a
:class:`Results`: every run's :class:`~warmup_course.training.History`, one row per run (:attr:`Results.rows`)
and one line per configuration (:attr:`Results.summary`: mean ± sample standard deviation over seeds, how many
runs diverged, how many reached a target loss and how fast)::

    base = RunConfig(model=partial(models.mlp, batchnorm=True), data=load_digits(),
                     optimizer=partial(torch.optim.SGD, lr=3.2, momentum=0.9),
                     steps=200, batch_size=512)
    res = compare({"no warmup": base, "warmup 10": base.replace(schedule=linear_warmup(10))}, seeds(5))
    print(res)                       # the summary table (stable text: fixed rounding, no timings)
    res.histories["warmup 10"]       # the five Histories, for plots

``sweep("param", values, config, seeds)`` runs one configuration per value of a parameter.

Progress goes to stderr as one line rewritten in place, and only when stderr is a terminal (``progress=None``),
so notebook outputs -- which nbval compares byte for byte -- never contain it.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Union

import numpy as np
from torch import nn
from torch.optim import Optimizer

from warmup_course.seeds import seeds as course_seeds
from warmup_course.training import History, ScheduleLike, train
from warmup_course.validation import MAX_ITEMS, check_bool, check_mapping, check_real, check_seed, check_str, describe
from warmup_course.validation import check_int as _check_int

__all__ = ["Results", "RunConfig", "compare", "sweep", "RangeTestResult", "lr_range_test"]



@dataclass(frozen=True)
class RunConfig:
    """Everything one training run needs except its seed.

    Attributes:
        model: factory called as ``model(seed=seed)``, e.g. ``functools.partial(models.mlp, batchnorm=True)``.
        data: the data object :func:`~warmup_course.training.train` consumes (shared by all runs).
        optimizer: factory ``params -> Optimizer``, e.g. ``functools.partial(torch.optim.Adam, lr=7e-3)``.
        schedule: lr multiplier per update (a Schedule, a callable, or None for constant).
        steps, batch_size, grad_accum, eval_every: as in :func:`~warmup_course.training.train`.
        train_kwargs: any other keyword arguments of ``train`` (``diverge_factor``, ``probes``, ``device``...).
    """

    model: Callable[..., nn.Module]
    data: Any
    optimizer: Callable[[Iterable[nn.Parameter]], Optimizer]
    schedule: ScheduleLike = None
    steps: int = 100
    batch_size: int = 32
    grad_accum: int = 1
    eval_every: int | None = None
    train_kwargs: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not callable(self.model) or isinstance(self.model, nn.Module):
            raise TypeError(f"model must be a factory called as model(seed=...), not {type(self.model).__name__}")
        if isinstance(self.optimizer, Optimizer) or not callable(self.optimizer):
            raise TypeError(
                "optimizer must be a factory params -> Optimizer (each run builds its own), e.g. "
                f"functools.partial(torch.optim.SGD, lr=0.1); got {type(self.optimizer).__name__}"
            )
        if not (callable(getattr(self.data, "batches", None)) and callable(getattr(self.data, "eval_sets", None))):
            raise TypeError(f"data must have batches() and eval_sets() methods, got {type(self.data).__name__}")
        _check_int("steps", self.steps, 1, MAX_ITEMS)
        _check_int("batch_size", self.batch_size, 1, MAX_ITEMS)
        _check_int("grad_accum", self.grad_accum, 1, MAX_ITEMS)
        if self.eval_every is not None:
            _check_int("eval_every", self.eval_every, 0, MAX_ITEMS)
        check_mapping("train_kwargs", self.train_kwargs)
        _check_schedule_like(self.schedule)
        for key in self.train_kwargs:
            if not isinstance(key, str):
                raise TypeError(f"train_kwargs keys must be strings (train's keyword names), got {key!r}")
        reserved = {"seed", "grad_accum", "eval_every"} & set(self.train_kwargs)
        if reserved:
            raise ValueError(f"train_kwargs must not set {sorted(reserved)}: they are RunConfig fields or per run")

    def run(self, seed: int) -> History:
        """Build the model from ``seed`` and train it with the same ``seed``."""
        return train(
            self.model(seed=seed),
            self.data,
            self.optimizer,
            self.schedule,
            self.steps,
            self.batch_size,
            seed=seed,
            grad_accum=self.grad_accum,
            eval_every=self.eval_every,
            **dict(self.train_kwargs),
        )

    def replace(self, **changes: Any) -> RunConfig:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)


ConfigLike = Union[RunConfig, Callable[[int], History]]

# --------------------------------------------------------------------------------------------- Results


def _fmt_loss(x: float) -> str:
    """3 significant digits, trailing zeros kept (``2.20``, ``0.0121``, ``1.98e+11``)."""
    return "nan" if not math.isfinite(x) else f"{x:#.3g}".rstrip(".")


def _fmt_acc(x: float) -> str:
    return "nan" if not math.isfinite(x) else f"{x:.3f}"


def _stats(values: Sequence[float]) -> dict[str, float]:
    """mean, sample std (0 for one value), min, max over the finite values; nan when there are none."""
    finite = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    if not len(finite):
        return {"mean": math.nan, "std": math.nan, "min": math.nan, "max": math.nan, "n": 0}
    std = float(finite.std(ddof=1)) if len(finite) > 1 else 0.0
    return {"mean": float(finite.mean()), "std": std, "min": float(finite.min()), "max": float(finite.max()),
            "n": len(finite)}


def _text_table(headers: list[str], rows: list[list[str]], left: int = 1) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) if i < left else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def _check_schedule_like(schedule: Any) -> None:
    """None, a Schedule, a list of Schedules or a callable ``t -> multiplier`` (what ``train`` accepts)."""
    from warmup_course.schedules import Schedule

    if schedule is None or isinstance(schedule, Schedule) or callable(schedule):
        return
    if isinstance(schedule, (list, tuple)) and schedule and all(isinstance(s, Schedule) for s in schedule):
        return
    raise TypeError(
        f"schedule must be a Schedule, a list of Schedules, a callable t -> multiplier or None, got {describe(schedule)}"
    )


class _UnknownKey(KeyError, ValueError):
    """A column name Results does not have: a KeyError (a missing key) and a ValueError (a bad argument)."""


@dataclass(eq=False)
class Results:
    """The outcome of :func:`compare` or :func:`sweep`.

    ``histories[name][i]`` is the History of configuration ``name`` with seed ``seeds[i]``. For sweeps,
    ``param`` names the swept parameter and ``values[k]`` is the value of the k-th configuration.
    """

    histories: dict[str, list[History]]
    seeds: list[int]
    target_loss: float | None = None
    param: str | None = None
    values: list[Any] | None = None

    def __post_init__(self) -> None:
        check_mapping("histories", self.histories)
        for name, hs in self.histories.items():
            check_str("histories key", name)
            if isinstance(hs, (str, bytes)) or not isinstance(hs, Sequence) or not all(
                isinstance(h, History) for h in hs
            ):
                raise TypeError(f"histories[{name!r}] must be a list of History objects, got {type(hs).__name__}")
        if isinstance(self.seeds, (str, bytes)) or not isinstance(self.seeds, Sequence):
            raise TypeError(f"seeds must be a list of ints, got {type(self.seeds).__name__}")
        self.seeds = [check_seed("seeds[i]", s) for s in self.seeds]
        if self.target_loss is not None:
            self.target_loss = check_real("target_loss", self.target_loss, 0.0)
        if self.param is not None:
            check_str("param", self.param)
        if self.values is not None and (isinstance(self.values, (str, bytes)) or not isinstance(self.values, Sequence)):
            raise TypeError(f"values must be a list or None, got {type(self.values).__name__}")

    @property
    def names(self) -> list[str]:
        return list(self.histories)

    def __getitem__(self, name: str) -> list[History]:
        return self.histories[name]

    def __len__(self) -> int:
        return len(self.histories)

    # -- tidy table ------------------------------------------------------------------------------------

    def _row(self, name: str, seed: int, h: History) -> dict[str, Any]:
        def final_eval(metric: str) -> float:
            # A diverged run has no final evaluation: report nan rather than a stale mid-run value.
            return math.nan if h.diverged or metric not in h.eval else h.final(metric)

        row = {
            "config": name,
            "seed": seed,
            "final_loss": h.final("loss"),
            "best_loss": h.best("loss"),
            "test_loss": final_eval("test_loss"),
            "test_acc": final_eval("test_acc"),
            "diverged": h.diverged,
            "diverged_step": h.diverged_step,
        }
        if self.target_loss is not None:
            row["steps_to_target"] = h.steps_to(self.target_loss, "loss")
        return row

    @property
    def rows(self) -> list[dict[str, Any]]:
        """One dict per run: config, seed, final_loss, best_loss (training loss), test_loss, test_acc
        (final evaluation; nan for diverged runs), diverged, diverged_step, steps_to_target (first update
        whose training loss <= ``target_loss``, None if never; only with a target)."""
        return [
            self._row(name, seed, h)
            for name, hs in self.histories.items()
            for seed, h in zip(self.seeds, hs)
        ]

    def column(self, key: str) -> dict[str, np.ndarray]:
        """``{config: array over seeds}`` of one :attr:`rows` column (None -> nan), e.g. for plots."""
        check_str("key", key)
        out: dict[str, list[float]] = {name: [] for name in self.histories}
        for row in self.rows:
            if key not in row:
                raise _UnknownKey(f"key must be one of {sorted(row)}, got {key!r}")
            value = row[key]
            out[row["config"]].append(math.nan if value is None else float(value))
        return {k: np.asarray(v, dtype=float) for k, v in out.items()}

    # -- summary ---------------------------------------------------------------------------------------

    @property
    def summary(self) -> list[dict[str, Any]]:
        """One dict per configuration: ``runs``, ``diverged`` (count), and for ``final_loss``, ``best_loss``,
        ``test_loss``, ``test_acc``: ``<key>_mean``, ``<key>_std`` (sample std over seeds), ``<key>_min``,
        ``<key>_max`` (nan when no value): ``best_loss`` over all runs, the others over the runs that did not
        diverge (diverged runs are counted, not averaged).
        With a target: ``reached`` (count) and ``steps_to_target_median`` over the runs that reached it."""
        by_config: dict[str, list[dict[str, Any]]] = {name: [] for name in self.histories}
        for row in self.rows:
            by_config[row["config"]].append(row)
        out = []
        for name, rows in by_config.items():
            entry: dict[str, Any] = {"config": name, "runs": len(rows), "diverged": sum(r["diverged"] for r in rows)}
            if self.param is not None and self.values is not None:
                entry[self.param] = self.values[self.names.index(name)]
            for key in ("final_loss", "best_loss", "test_loss", "test_acc"):
                # A diverged run's last loss is the blow-up itself: averaged only over the runs that finished.
                pool = rows if key == "best_loss" else [r for r in rows if not r["diverged"]]
                stats = _stats([r[key] for r in pool])
                for stat in ("mean", "std", "min", "max"):
                    entry[f"{key}_{stat}"] = stats[stat]
            if self.target_loss is not None:
                hits = [r["steps_to_target"] for r in rows if r["steps_to_target"] is not None]
                entry["reached"] = len(hits)
                entry["steps_to_target_median"] = float(np.median(hits)) if hits else math.nan
            out.append(entry)
        return out

    def summary_table(self) -> str:
        """:attr:`summary` as fixed-width text (losses to 3 significant digits, accuracies to 3 decimals)."""
        headers = ["config", "runs", "diverged", "final loss", "test loss", "test acc"]
        has_acc = any(math.isfinite(s["test_acc_mean"]) for s in self.summary)
        has_test = any(math.isfinite(s["test_loss_mean"]) for s in self.summary)
        if self.target_loss is not None:
            headers += [f"reached {self.target_loss:g}", "median steps"]
        rows = []
        for s in self.summary:
            cells = [
                s["config"],
                str(s["runs"]),
                str(s["diverged"]),
                f"{_fmt_loss(s['final_loss_mean'])} ± {_fmt_loss(s['final_loss_std'])}",
                f"{_fmt_loss(s['test_loss_mean'])} ± {_fmt_loss(s['test_loss_std'])}",
                f"{_fmt_acc(s['test_acc_mean'])} ± {_fmt_acc(s['test_acc_std'])}",
            ]
            if self.target_loss is not None:
                median = s["steps_to_target_median"]
                cells += [f"{s['reached']}/{s['runs']}", "-" if math.isnan(median) else f"{median:g}"]
            rows.append(cells)
        keep = [i for i, h in enumerate(headers) if (h != "test acc" or has_acc) and (h != "test loss" or has_test)]
        return _text_table([headers[i] for i in keep], [[r[i] for i in keep] for r in rows])

    def table(self) -> str:
        """:attr:`rows` as fixed-width text, one line per run."""
        headers = ["config", "seed", "final loss", "best loss", "test loss", "test acc", "diverged at"]
        if self.target_loss is not None:
            headers.append(f"steps to {self.target_loss:g}")
        rows = []
        for r in self.rows:
            cells = [
                r["config"], str(r["seed"]), _fmt_loss(r["final_loss"]), _fmt_loss(r["best_loss"]),
                _fmt_loss(r["test_loss"]), _fmt_acc(r["test_acc"]),
                "-" if r["diverged_step"] is None else str(r["diverged_step"]),
            ]
            if self.target_loss is not None:
                cells.append("-" if r["steps_to_target"] is None else str(r["steps_to_target"]))
            rows.append(cells)
        return _text_table(headers, rows)

    def __repr__(self) -> str:
        return self.summary_table()

    # -- serialisation -----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "histories": {k: [h.to_dict() for h in hs] for k, hs in self.histories.items()},
            "seeds": list(self.seeds),
            "target_loss": self.target_loss,
            "param": self.param,
            "values": None if self.values is None else [v if isinstance(v, (int, float, str)) else repr(v) for v in self.values],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Results:
        """Inverse of :meth:`to_dict` (untrusted data: a missing or malformed field is an error naming it)."""
        check_mapping("data", data, keys=("histories", "seeds"))
        check_mapping("data['histories']", data["histories"])
        return cls(
            histories={k: [History.from_dict(h) for h in hs] for k, hs in data["histories"].items()},
            seeds=list(data["seeds"]),
            target_loss=data.get("target_loss"),
            param=data.get("param"),
            values=data.get("values"),
        )


# --------------------------------------------------------------------------------------------- running


class _Progress:
    """One stderr line rewritten in place; silent unless enabled (default: only when stderr is a terminal)."""

    def __init__(self, total: int, enabled: bool | None):
        if enabled is None:
            isatty = getattr(sys.stderr, "isatty", None)
            enabled = bool(isatty and isatty())
        self.enabled, self.total, self.start = enabled, total, time.perf_counter()

    def update(self, done: int, label: str) -> None:
        if self.enabled:
            elapsed = time.perf_counter() - self.start
            sys.stderr.write(f"\r[{done}/{self.total}] {label}  ({elapsed:.0f} s)\x1b[K")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


def _check_seeds(seeds: Sequence[int] | int) -> list[int]:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        # a count: name it "seeds" here (seeds.seeds() would call it n)
        return course_seeds(_check_int("seeds", seeds, 1, 10_000))
    if isinstance(seeds, (str, bytes, Mapping)) or not isinstance(seeds, Iterable):
        raise TypeError(f"seeds must be a list of ints or a count, got {seeds!r}")
    out = [check_seed("seeds[i]", s) for s in seeds]
    if not out:
        raise ValueError("seeds must not be empty")
    if len(set(out)) != len(out):
        raise ValueError(f"seeds must be distinct, got {out}")
    return out


def compare(
    configs: Mapping[str, ConfigLike],
    seeds: Sequence[int] | int,
    *,
    target_loss: float | None = None,
    progress: bool | None = None,
) -> Results:
    """Run every configuration with every seed; return their :class:`Results`.

    Args:
        configs: ``{name: RunConfig}``, or ``{name: fn}`` with ``fn(seed) -> History`` for anything custom.
        seeds: the seeds (each configuration runs with each), or a count ``n`` meaning
            :func:`warmup_course.seeds.seeds(n) <warmup_course.seeds.seeds>`.
        target_loss: if given, rows get ``steps_to_target`` and the summary how many runs reached it.
        progress: show a one-line progress report on stderr; None (default): only if stderr is a terminal
            (never in a notebook, whose outputs nbval compares).
    """
    if not isinstance(configs, Mapping) or not configs:
        raise TypeError(f"configs must be a non-empty mapping name -> RunConfig or callable, got {configs!r}")
    for name, cfg in configs.items():
        if not isinstance(name, str):
            raise TypeError(f"configs keys must be strings, got {name!r}")
        if not isinstance(cfg, RunConfig) and not callable(cfg):
            raise TypeError(f"configs[{name!r}] must be a RunConfig or a callable seed -> History, got {cfg!r}")
    seed_list = _check_seeds(seeds)
    if target_loss is not None:
        check_real("target_loss", target_loss, 0.0)  # a cross-entropy: a negative target is never reached
    if progress is not None:
        check_bool("progress", progress)

    bar = _Progress(len(configs) * len(seed_list), progress)
    histories: dict[str, list[History]] = {}
    done = 0
    try:
        for name, cfg in configs.items():
            runs = []
            for s in seed_list:
                bar.update(done, f"{name}, seed {s}")
                h = cfg.run(s) if isinstance(cfg, RunConfig) else cfg(s)
                if not isinstance(h, History):
                    raise TypeError(f"configs[{name!r}](seed) must return a History, got {type(h).__name__}")
                runs.append(h)
                done += 1
            histories[name] = runs
        bar.update(done, "done")
    finally:
        bar.close()
    return Results(histories=histories, seeds=seed_list, target_loss=None if target_loss is None else float(target_loss))


def _label(param: str, value: Any) -> str:
    if isinstance(value, float):
        return f"{param}={value:g}"
    return f"{param}={value}"


def sweep(
    param: str,
    values: Sequence[Any],
    config: RunConfig | Callable[[Any], ConfigLike],
    seeds: Sequence[int] | int,
    *,
    target_loss: float | None = None,
    progress: bool | None = None,
) -> Results:
    """One configuration per value of ``param``, each over ``seeds`` (configurations named ``"param=value"``).

    ``config`` is either a :class:`RunConfig` whose field ``param`` takes each value (e.g. ``"steps"``,
    ``"schedule"``, ``"batch_size"``), or a function ``value -> RunConfig`` for anything else, e.g.
    ``lambda w: base.replace(schedule=linear_warmup(w))`` to sweep the warmup length.
    """
    check_str("param", param)
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise TypeError(f"values must be a sequence, got {values!r}")
    values = list(values)
    if not values:
        raise ValueError("values must not be empty")
    if isinstance(config, RunConfig):
        names = {f.name for f in dataclasses.fields(RunConfig)}
        if param not in names:
            raise ValueError(
                f"param must be a RunConfig field ({', '.join(sorted(names))}) when config is a RunConfig, "
                f"got {param!r}; pass a function value -> RunConfig to sweep anything else"
            )
        make = lambda v: config.replace(**{param: v})  # noqa: E731
    elif callable(config):
        make = config
    else:
        raise TypeError(f"config must be a RunConfig or a function value -> RunConfig, got {config!r}")
    _check_seeds(seeds)  # before building any configuration
    if target_loss is not None:
        check_real("target_loss", target_loss, 0.0)
    if progress is not None:
        check_bool("progress", progress)
    configs = {_label(param, v): make(v) for v in values}
    if len(configs) != len(values):
        raise ValueError(f"values must be distinct, got {values!r}")
    res = compare(configs, seeds, target_loss=target_loss, progress=progress)
    res.param, res.values = param, values
    return res


# --------------------------------------------------------------------------------------------- LR range test


@dataclass(eq=False)
class RangeTestResult:
    """What :func:`lr_range_test` measured.

    ``lrs[i]`` is the learning rate of update ``i``, ``losses[i]`` its training (batch) loss, ``smoothed[i]`` the
    bias-corrected exponential moving average of the losses up to ``i``. The test stops at ``stop_step`` (the
    first update whose smoothed loss exceeds ``stop_factor`` times the best so far, or a non-finite or exploding
    loss); ``diverged`` says whether it stopped that way rather than by running out of steps. ``suggestions`` maps
    each of fastai's rules ("minimum", "steep", "valley") to its learning rate; ``suggestion`` is the one named by
    ``rule``. ``history`` is the underlying :class:`~warmup_course.training.History`.
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    stop_step: int | None
    diverged: bool
    divergence_reason: str | None
    suggestions: dict[str, float]
    rule: str
    history: History

    @property
    def suggestion(self) -> float:
        """The learning rate the chosen ``rule`` suggests."""
        return self.suggestions[self.rule]

    @property
    def min_loss_lr(self) -> float:
        """The learning rate where the smoothed loss was lowest (in the judged range): 10 × the "minimum" rule."""
        return 10.0 * self.suggestions["minimum"]

    def __repr__(self) -> str:
        stop = f"stopped at update {self.stop_step}, lr {self.lrs[self.stop_step]:.3g} ({self.divergence_reason})" \
            if self.stop_step is not None else f"ran all {len(self.lrs)} updates"
        rules = ", ".join(f"{k} {v:.3g}" for k, v in self.suggestions.items())
        return f"RangeTestResult({stop}; suggestions: {rules}; chosen ({self.rule}): {self.suggestion:.3g})"


def _ema_debiased(values: np.ndarray, beta: float) -> np.ndarray:
    """fastai's ``AvgSmoothLoss``: ``v_i = β v_{i-1} + (1 - β) x_i``, reported as ``v_i / (1 - β^(i+1))``."""
    out = np.empty_like(values)
    v = 0.0
    for i, x in enumerate(values):
        v = beta * v + (1.0 - beta) * x
        out[i] = v / (1.0 - beta ** (i + 1))
    return out


def _suggest(lrs: np.ndarray, losses: np.ndarray) -> dict[str, float]:
    """fastai's ``minimum``, ``steep`` and ``valley`` rules (fastai/callback/schedule.py) on the smoothed losses."""
    out = {"minimum": float(lrs[int(np.argmin(losses))]) / 10.0}
    grads = np.diff(losses) / np.diff(np.log(lrs))
    out["steep"] = float(lrs[int(np.argmin(grads))])
    # valley: the longest decreasing run (longest decreasing subsequence ending at each point), then a point
    # about halfway into it (fastai: start + section + section/2 with section = length/3)
    n = len(losses)
    lds = [1] * n
    max_start = max_end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and lds[i] < lds[j] + 1:
                lds[i] = lds[j] + 1
            if lds[max_end] < lds[i]:
                max_end = i
                max_start = max_end - lds[max_end]
    sections = (max_end - max_start) / 3
    out["valley"] = float(lrs[max_start + int(sections) + int(sections / 2)])
    return out


def lr_range_test(
    model: nn.Module,
    data: Any,
    optimizer: Callable[[Iterable[nn.Parameter]], Optimizer],
    *,
    batch_size: int,
    seed: int,
    start_lr: float = 1e-5,
    end_lr: float = 10.0,
    steps: int = 200,
    beta: float = 0.98,
    stop_factor: float = 4.0,
    rule: str = "minimum",
    train_kwargs: Mapping[str, Any] | None = None,
) -> RangeTestResult:
    """Smith's learning-rate range test (https://arxiv.org/abs/1506.01186, section 3.3), as fastai's ``lr_find``.

    Train ``model`` for up to ``steps`` updates with the learning rate growing geometrically,
    ``lr_i = start · (end/start)^(i/steps)`` (the schedule is :func:`~warmup_course.schedules.geometric_warmup`
    driven by :func:`~warmup_course.training.train`, so the loop and its divergence handling are the course's).
    The batch losses are smoothed by fastai's bias-corrected EMA (``beta``); the test stops, recorded and not
    raised, at the first update whose smoothed loss exceeds ``stop_factor`` × the best smoothed loss so far
    (fastai: 4), or when the raw loss is non-finite or above ``stop_factor`` × the first one.

    Suggestions (fastai's suggestion functions, ``fastai/callback/schedule.py``; computed like ``lr_find`` on the
    smoothed losses without the first ``steps // 10`` and the last 5 before the stop):
    ``"minimum"`` -- a tenth of the lr at the lowest smoothed loss (fastai v1's default advice: "one order of
    magnitude before the minimum"); ``"steep"`` -- where the smoothed loss falls fastest per unit of log lr;
    ``"valley"`` -- about halfway into the longest stretch of decreasing loss (fastai v2's default).

    A range test is a short, warmup-like run: its lr is tiny at first and grows, so the loss it reports at a large
    lr is that of a network already trained a little at smaller ones. What it suggests is a peak for a schedule
    *with* a ramp, not a safe constant lr from step 0.

    Args:
        model: a fresh model (it is trained in place; build a new one for real training).
        data: a course data object (``batches``/``eval_sets``).
        optimizer: factory ``params -> Optimizer``; its lr is replaced by the sweep.
        batch_size, seed: as in :func:`~warmup_course.training.train`.
        start_lr, end_lr: the sweep's range, 0 < start < end.
        steps: updates in the sweep (fastai's ``num_it``, default 100 there), >= 12.
        beta: the EMA's β in [0, 1).
        stop_factor: stop when the smoothed loss exceeds this multiple of its best, > 1.
        rule: which suggestion :attr:`RangeTestResult.suggestion` returns: "minimum", "steep" or "valley".
        train_kwargs: other keyword arguments for ``train`` (``device``, ``diagnostics``...).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not (callable(getattr(data, "batches", None)) and callable(getattr(data, "eval_sets", None))):
        raise TypeError(f"data must have batches() and eval_sets() methods, got {type(data).__name__}")
    if isinstance(optimizer, Optimizer) or not callable(optimizer):
        raise TypeError(f"optimizer must be a factory params -> Optimizer, got {type(optimizer).__name__}")
    batch_size = _check_int("batch_size", batch_size, 1, MAX_ITEMS)
    seed = check_seed("seed", seed)
    start = check_real("start_lr", start_lr, 0.0, 1e6, low_open=True)
    end = check_real("end_lr", end_lr, 0.0, 1e6, low_open=True)
    if end <= start:
        raise ValueError(f"end_lr must exceed start_lr = {start:g}, got {end_lr!r}")
    steps = _check_int("steps", steps, 12, 100_000)
    beta = check_real("beta", beta, 0.0, 1.0, high_open=True)
    stop_factor = check_real("stop_factor", stop_factor, 1.0, 1e6, low_open=True)
    if not isinstance(rule, str) or rule not in ("minimum", "steep", "valley"):
        raise ValueError(f"rule must be one of 'minimum', 'steep', 'valley', got {rule!r}")
    kwargs = dict(check_mapping("train_kwargs", {} if train_kwargs is None else train_kwargs))
    reserved = {"seed", "diverge_factor", "eval_every"} & set(kwargs)
    if reserved:
        raise ValueError(f"train_kwargs must not set {sorted(reserved)}: lr_range_test sets them")

    from warmup_course.schedules import geometric_warmup  # schedules is numpy-only: cheap

    def make(params: Iterable[nn.Parameter]) -> Optimizer:
        opt = optimizer(params)
        for group in opt.param_groups:
            group["lr"] = end  # the schedule multiplies the peak: lr_i = end · (start/end)^(1 - i/steps)
        return opt

    h = train(model, data, make, geometric_warmup(steps, start / end), steps, batch_size, seed=seed,
              diverge_factor=stop_factor, eval_every=0, **kwargs)
    lrs = np.asarray(h.lr, dtype=float)
    losses = np.asarray(h.loss, dtype=float)
    finite = np.isfinite(losses)
    n_ok = int(np.argmin(finite)) if not finite.all() else len(losses)
    smoothed = np.full_like(losses, np.nan)
    smoothed[:n_ok] = _ema_debiased(losses[:n_ok], beta)
    best = np.minimum.accumulate(smoothed[:n_ok]) if n_ok else np.array([])
    over = np.flatnonzero(smoothed[:n_ok] > stop_factor * best)
    stop: int | None = None
    reason: str | None = None
    if len(over):
        stop, reason = int(over[0]), f"smoothed loss > {stop_factor:g} x its best"
    elif h.diverged:
        stop, reason = int(h.diverged_step), h.divergence_reason
    end_i = len(losses) if stop is None else stop
    lo, hi = steps // 10, end_i - 5
    if hi - lo < 3:  # too short to judge: use what there is
        lo, hi = 0, max(end_i, 2)
    suggestions = _suggest(lrs[lo:hi], smoothed[lo:hi])
    return RangeTestResult(lrs=lrs, losses=losses, smoothed=smoothed, stop_step=stop, diverged=stop is not None,
                           divergence_reason=reason, suggestions=suggestions, rule=rule, history=h)
