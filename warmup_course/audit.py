"""Audit a learning-rate trace: find the classic warmup mistakes from the LRs the optimizer actually used.

A *trace* is the learning rate of every applied optimizer update, in order (``lr[t]`` is the LR update ``t``
was applied with, ``t = 0`` first), plus, when :func:`warmup_course.recorder.record_lr` recorded it, which
attempted updates were skipped (AMP's ``GradScaler`` skips ``optimizer.step()`` on inf/NaN gradients) and when
``scheduler.step()`` was called. :func:`audit` reads one and returns a :class:`Report`::

    report = audit(trace)                                   # what is never right, whatever the schedule
    report = audit(trace, expected=warmup_cosine(100, 1000), peak_lr=3e-4, total_steps=1000)
    report.ok, report.findings                              # a flag, and Finding(kind, update, seen, cause, fix)

Without ``expected`` it flags what no correct warmup schedule does: a warmup restarted mid-run, a discontinuous
jump where warmup meets decay, long stretches at LR 0, a warmup still ramping when the run ends, the LR rising
again after the decay, and (from the recorder's events) ``scheduler.step()`` called more or less often than the
optimizer steps, or on updates the optimizer skipped. With ``expected`` (a
:class:`~warmup_course.schedules.Schedule` of multipliers times ``peak_lr``, or an array of LRs) it also
measures how the trace departs from it, by fitting the departures the mistakes produce -- each is a change of
the schedule's *clock* ``u(t)`` (the trace is ``peak_lr * expected(u(t))``):

==================================  ===========================  ============================================
departure                           clock ``u(t)``               typical cause
==================================  ===========================  ============================================
time-scaled ``r``x                  ``r t`` (or ``floor(t/E)``)   total steps counted in micro-batches / per
                                                                 process; stepped per epoch or per micro-batch
shifted by ``k``                    ``t + k``                    skipped steps; scheduler stepped before the
                                                                 optimizer; off-by-one ``last_epoch``
restarted at ``k``                  ``t - k`` from ``k`` on       scheduler state not restored on resume
jumped at ``k``                     ``t - k + j`` from ``k`` on   resumed with the wrong ``last_epoch``
decay clock started during warmup   decay evaluated at ``t``      timm without ``warmup_prefix``,
                                                                 ``ChainedScheduler``, a cosine from step 0
==================================  ===========================  ============================================

and checks the peak (never reached), the end (cut off before ``total_steps``; rising after it) and stretches at
LR 0. This module imports numpy only (no torch), like :mod:`~warmup_course.schedules`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from warmup_course.schedules import Schedule
from warmup_course.validation import MAX_ITEMS, check_array, check_bool, check_int, check_real, describe

__all__ = ["LRTrace", "Finding", "Report", "audit", "KINDS"]

#: Every kind of finding :func:`audit` can report, with its one-line meaning.
KINDS = {
    "time_scaled": "the schedule runs r times too fast or too slow",
    "epoch_steps": "the LR changes only every E updates (a per-step schedule stepped per epoch)",
    "shifted": "the schedule is shifted by k updates",
    "restarted": "the schedule restarted from its beginning mid-run",
    "jumped": "the schedule's clock jumped forward or back mid-run",
    "decay_clock": "the decay's clock started during the warmup",
    "mismatch": "the trace departs from the expected schedule in a way none of the known mistakes explains",
    "peak_not_reached": "the LR never reaches the expected peak",
    "cut_off": "the run ended before the schedule did",
    "rises_after_end": "the LR rises again after the end of the schedule",
    "zero_lr": "a long stretch of updates at LR 0",
    "warmup_restart": "a warmup ramp starts again mid-run",
    "warmup_jump": "a discontinuous jump where the warmup ends",
    "still_ramping": "the LR is still ramping up when the run ends",
    "rise_after_decay": "the LR rises again after it had decayed",
    "scheduler_rate": "scheduler.step() is called more or less often than optimizer.step()",
    "skipped_steps": "the scheduler advanced on updates the optimizer skipped",
}
_SEVERITIES = ("error", "warning", "note")


# ----------------------------------------------------------------------------------------------- the trace


@dataclass(frozen=True)
class LRTrace:
    """What a training run's optimizer did, update by update (built by :func:`~warmup_course.recorder.record_lr`).

    Attributes:
        lrs: float64 array ``(n_updates, n_groups)``: the LR each param group had when update ``t`` was applied.
        skipped: for each attempted update the optimizer skipped, how many updates had been applied before it.
        scheduler_calls: for each ``scheduler.step()`` call, how many updates had been applied before it
            (``None`` when no scheduler was watched).
        base_lrs: each group's base LR (``initial_lr``, which torch's schedulers multiply), when known.
    """

    lrs: np.ndarray
    skipped: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    scheduler_calls: np.ndarray | None = None
    base_lrs: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        lrs = check_array("lrs", self.lrs, ndim=None)
        if lrs.ndim == 1:
            lrs = lrs[:, None]
        if lrs.ndim != 2:
            raise ValueError(f"lrs must be 1- or 2-dimensional (updates x param groups), got shape {lrs.shape}")
        if lrs.size and (not np.isfinite(lrs).all() or lrs.min() < 0):
            raise ValueError("lrs must hold finite learning rates >= 0")
        object.__setattr__(self, "lrs", lrs)
        object.__setattr__(self, "skipped", _counts("skipped", self.skipped, len(lrs)))
        if self.scheduler_calls is not None:
            object.__setattr__(self, "scheduler_calls", _counts("scheduler_calls", self.scheduler_calls, len(lrs)))
        if self.base_lrs is not None:
            if isinstance(self.base_lrs, (str, bytes)) or not isinstance(self.base_lrs, Sequence):
                raise TypeError(f"base_lrs must be a sequence of floats or None, got {describe(self.base_lrs)}")
            base = tuple(check_real("base_lrs[i]", b, 0.0) for b in self.base_lrs)
            if lrs.shape[1] and len(base) != lrs.shape[1]:
                raise ValueError(f"base_lrs must have one entry per param group ({lrs.shape[1]}), got {len(base)}")
            object.__setattr__(self, "base_lrs", base)

    @property
    def lr(self) -> np.ndarray:
        """Param group 0's LR per update (1-D)."""
        return self.lrs[:, 0] if self.lrs.shape[1] else np.zeros(len(self.lrs))

    def __len__(self) -> int:
        return len(self.lrs)

    def __repr__(self) -> str:
        calls = "not watched" if self.scheduler_calls is None else len(self.scheduler_calls)
        return (f"LRTrace(updates={len(self)}, groups={self.lrs.shape[1]}, skipped={len(self.skipped)}, "
                f"scheduler_calls={calls})")


def _counts(name: str, value: Any, n: int) -> np.ndarray:
    arr = check_array(name, value, ndim=1, finite=True, minimum=0)
    if arr.size and (np.any(arr != np.round(arr)) or arr.max() > n):
        raise ValueError(f"{name} must hold update counts in 0..{n}, got {describe(value)}")
    return arr.astype(np.int64)


def _as_trace(trace: Any) -> LRTrace:
    if isinstance(trace, LRTrace):
        return trace
    inner = getattr(trace, "trace", None)  # a recorder handle (duck-typed: this module imports no torch)
    if isinstance(inner, LRTrace):
        return inner
    if isinstance(trace, (bool, np.bool_)) or trace is None or isinstance(trace, (str, bytes, dict, int, float)):
        raise TypeError(f"trace must be an LRTrace, a recorder or an array of LRs, got {describe(trace)}")
    arr = check_array("trace", trace, ndim=None, finite=True, minimum=0)
    if arr.ndim not in (1, 2):
        raise ValueError(f"trace must be 1-D (LR per update) or 2-D (updates x groups), got shape {arr.shape}")
    return LRTrace(arr)


# ----------------------------------------------------------------------------------------------- findings


@dataclass(frozen=True)
class Finding:
    """One problem :func:`audit` found: what it ``seen`` at which ``update``, the likely ``cause`` and the ``fix``.

    ``severity`` is "error" (the schedule is wrong), "warning" (probably wrong) or "note" (worth knowing);
    ``kind`` is a key of :data:`KINDS`; ``value`` the measured number (ratio, shift, length...), if any.
    """

    kind: str
    severity: str
    update: int | None
    seen: str
    cause: str
    fix: str
    value: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS if isinstance(self.kind, str) else True:
            raise ValueError(f"kind must be one of {sorted(KINDS)}, got {describe(self.kind)}")
        if not isinstance(self.severity, str) or self.severity not in _SEVERITIES:
            raise ValueError(f"severity must be one of {list(_SEVERITIES)}, got {describe(self.severity)}")
        if self.update is not None:
            check_int("update", self.update, 0, MAX_ITEMS)
        for name in ("seen", "cause", "fix"):
            if not isinstance(getattr(self, name), str):
                raise TypeError(f"{name} must be a string, got {describe(getattr(self, name))}")
        if self.value is not None:
            check_real("value", self.value, allow_inf=True)


_COLUMNS = ("severity", "kind", "update", "seen", "likely cause", "fix")


class Report:
    """The findings of :func:`audit`. ``ok`` is True when none is an error or a warning.

    Prints as a text table; in a notebook it renders as an HTML (or Markdown) table.
    """

    def __init__(self, findings: Sequence[Finding], summary: str) -> None:
        if isinstance(findings, (str, bytes)) or not isinstance(findings, Sequence):
            raise TypeError(f"findings must be a list of Finding, got {describe(findings)}")
        if not all(isinstance(f, Finding) for f in findings):
            raise TypeError("findings must hold Finding objects only")
        if not isinstance(summary, str):
            raise TypeError(f"summary must be a string, got {describe(summary)}")
        self.findings = list(findings)
        self.summary = summary

    @property
    def ok(self) -> bool:
        return not any(f.severity in ("error", "warning") for f in self.findings)

    def kinds(self) -> list[str]:
        """The kinds found, in order."""
        return [f.kind for f in self.findings]

    def __contains__(self, kind: object) -> bool:
        return kind in self.kinds()

    def __len__(self) -> int:
        return len(self.findings)

    def _rows(self) -> list[tuple[str, ...]]:
        return [(f.severity, f.kind, "-" if f.update is None else str(f.update), f.seen, f.cause, f.fix)
                for f in self.findings]

    def __str__(self) -> str:
        head = f"LR audit: {'OK' if self.ok else 'PROBLEMS FOUND'} -- {self.summary}"
        if not self.findings:
            return head + "\nno findings"
        lines = [head]
        for i, f in enumerate(self.findings, 1):
            at = "" if f.update is None else f" at update {f.update}"
            lines.append(f"{i}. [{f.severity}] {f.kind}{at}: {f.seen}")
            lines.append(f"   likely cause: {f.cause}")
            lines.append(f"   fix: {f.fix}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Report(ok={self.ok}, findings={self.kinds()})"

    def _repr_markdown_(self) -> str:
        cell = lambda s: s.replace("|", "\\|")  # noqa: E731
        lines = [f"**LR audit: {'OK' if self.ok else 'problems found'}** — {cell(self.summary)}", ""]
        if self.findings:
            lines += ["| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
            lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in self._rows()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        e = html.escape
        out = [f"<p><b>LR audit: {'OK' if self.ok else 'problems found'}</b> — {e(self.summary)}</p>"]
        if self.findings:
            out.append("<table><thead><tr>" + "".join(f"<th>{e(c)}</th>" for c in _COLUMNS) + "</tr></thead><tbody>")
            for row in self._rows():
                out.append("<tr>" + "".join(f"<td style='text-align:left'>{e(c)}</td>" for c in row) + "</tr>")
            out.append("</tbody></table>")
        return "".join(out)


def _f(kind: str, severity: str, update: int | None, seen: str, cause: str, fix: str, value: float | None = None) -> Finding:
    return Finding(kind, severity, None if update is None else int(update), seen, cause, fix,
                   None if value is None else float(value))


# ----------------------------------------------------------------------------------------------- events


def _event_findings(tr: LRTrace) -> list[Finding]:
    """What the recorder's events show: scheduler calls per optimizer step, and steps on skipped updates."""
    out: list[Finding] = []
    n = len(tr)
    calls = tr.scheduler_calls
    if calls is None or n == 0 or len(calls) == 0:
        return out
    per = np.bincount(calls, minlength=n + 1)  # per[p]: calls made when p updates had been applied
    # The correct loop calls scheduler.step() once after each update: per[1..n] == 1, per[0] == 0 (the last
    # update's call may be missing if the trace stops between optimizer.step() and scheduler.step()).
    body = per[1:n + 1]
    rate = len(calls) / n
    typical = float(np.median(body)) if n else 0.0
    if n >= 4 and typical >= 2:
        r = int(round(typical))
        out.append(_f("scheduler_rate", "error", None,
                      f"scheduler.step() was called {len(calls)} times for {n} optimizer updates ({r} per update)",
                      "the scheduler is stepped per micro-batch (gradient accumulation) or several times per update "
                      "(e.g. once per process): the schedule runs r times too fast",
                      "call scheduler.step() once per optimizer.step(), right after it", r))
        return out
    if n >= 4 and rate < 0.75:
        gaps = np.diff(np.unique(calls))
        every = int(np.median(gaps)) if len(gaps) else n
        out.append(_f("scheduler_rate", "error", None,
                      f"scheduler.step() was called {len(calls)} times for {n} optimizer updates "
                      f"(about once every {every} updates)",
                      "a per-update schedule is stepped per epoch (Lightning interval='epoch', an epoch loop, "
                      "timm's t_in_epochs=True)", "step the scheduler once per optimizer update (interval='step'), "
                      "or give it its length in epochs", every))
        return out
    extra_at = np.flatnonzero(per[: n + 1] > np.r_[0, np.ones(n, dtype=np.int64)])
    extra = int(per[0] + np.maximum(body - 1, 0).sum())
    if extra:
        k = int(extra_at[0])
        out.append(_f("skipped_steps", "error", k,
                      f"scheduler.step() was called {extra} times with no optimizer update since the previous call "
                      f"({len(tr.skipped)} skipped updates recorded): the schedule is {extra} updates ahead",
                      "AMP's GradScaler skipped optimizer.step() (inf/NaN gradients) while scheduler.step() ran "
                      "anyway (torch warns 'Detected call of lr_scheduler.step() before optimizer.step()' only if "
                      "update 0 is skipped)",
                      "step the scheduler only when the optimizer stepped: compare scaler.get_scale() before and "
                      "after scaler.update(), or count optimizer steps with a step hook", extra))
    return out


# ----------------------------------------------------------------------------------------------- shape checks


def _zero_runs(a: np.ndarray, zero: float) -> tuple[np.ndarray, np.ndarray]:
    """Starts and lengths of the runs where ``a <= zero``."""
    z = np.r_[False, a <= zero, False].astype(np.int8)
    d = np.diff(z)
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)
    return starts, ends - starts


def _shape_findings(a: np.ndarray, min_zero_run: int, rise_tol: float, cyclic: bool,
                    expected_pos: np.ndarray | None = None) -> list[Finding]:
    """Checks that need no expected schedule. ``a`` is the LR per update of one group."""
    out: list[Finding] = []
    n = len(a)
    top = float(a.max()) if n else 0.0
    if n < 3 or top <= 0:
        if n and top <= 0:
            out.append(_f("zero_lr", "error", 0, f"every one of the {n} updates used LR 0",
                          "the scheduler is never advanced in the units it counts (timm with t_in_epochs=True "
                          "stepped with step_update, or a warmup whose steps are epochs), or its base LR is 0",
                          "step the scheduler in its own units (timm: t_in_epochs=False for per-update schedules)",
                          n))
        return out
    zero = 1e-9 * top
    # 1. long stretches at LR 0 (a single update at LR 0 at t = 0 is HF's convention, not a bug)
    starts, lengths = _zero_runs(a, zero) if a.min() <= zero else ((), ())
    for s, ln in zip(starts, lengths):
        if ln >= min_zero_run and (expected_pos is None or expected_pos[s:s + ln].any()):
            out.append(_f("zero_lr", "error", s, f"{ln} consecutive updates at LR 0 (updates {s} to {s + ln - 1})",
                          "the schedule is stepped in the wrong units (per epoch, or timm's t_in_epochs), restarted "
                          "at 0, or decayed to 0 before the run ended (total steps too small)",
                          "check the scheduler's units and its total length against the number of optimizer updates",
                          ln))
            break
    diffs = np.diff(a)
    # 2. the warmup: a ramp from the start; where it ends, a discontinuous jump?
    tiny = 1e-6 * top
    rising = diffs > tiny
    if rising[0] or (a[0] <= zero and rising[:2].any()):
        first_up = int(np.argmax(rising))
        stop = int(np.argmin(rising[first_up:]))  # argmin of bools: the first False
        finished = not rising[first_up + stop]
        end = first_up + stop if finished else n - 1  # first update that is not higher than the one before
        ramp = diffs[first_up:end]
        if not finished and end - first_up >= 3:
            out.append(_f("still_ramping", "warning", n - 1,
                          f"the LR rose at every update from {first_up} to the last ({n - 1}) and ends at "
                          f"{a[-1]:.3g}: the warmup never finished",
                          "warmup longer than the run (total/warmup steps counted per process, in micro-batches or "
                          "in samples; an untuned warmup 2/(1-beta2) longer than the run)",
                          "count warmup_steps in optimizer updates and keep it a fraction (<= 10-20 %) of the run",
                          a[-1] / top))
        elif len(ramp) >= 3 and end < n - 1:
            step = float(np.median(ramp))
            here = float(-diffs[end]) if diffs[end] < 0 else 0.0
            # a jump is a drop much larger than the decay's own next steps (a short linear decay falls fast too)
            after = -diffs[end + 1:end + 6]
            typical = float(np.median(after)) if len(after) else 0.0
            if here > max(3 * max(typical, 0.0), 0.02 * top):
                out.append(_f("warmup_jump", "error", end + 1,
                              f"the warmup rose by about {step / top:.3g} of the peak per update, then the LR fell "
                              f"by {here / top:.3g} of the peak in one update ({a[end]:.3g} -> {a[end + 1]:.3g})",
                              "the decay's clock started at update 0, during the warmup (timm without "
                              "warmup_prefix, ChainedScheduler, a hand-written cosine of the global step)",
                              "start the decay when the warmup ends (timm warmup_prefix=True; SequentialLR; "
                              "cosine of (t - W) over (T - W))", here / top))
            elif end >= 1 and diffs[end - 1] > max(3 * float(np.median(ramp[:-1])) if len(ramp) > 1 else 0, 0.05 * top):
                last = float(diffs[end - 1])
                out.append(_f("warmup_jump", "error", end,
                              f"the warmup ended with a jump up of {last / top:.3g} of the peak in one update",
                              "the warmup ramps to a lower target than the schedule that follows",
                              "make the warmup end where the next schedule starts", last / top))
    # 3. rises after the decay: a restart (drop, then ramp again) or a smooth rise
    if not cyclic and n >= 4:
        p = int(np.argmax(a))
        tail = a[p:]
        runmin = np.minimum.accumulate(tail)
        over = (tail - runmin) > rise_tol * top
        first = int(np.argmax(over))
        if over[first]:
            t_star = p + first
            q = p + int(np.argmin(tail[: t_star - p + 1]))
            dropped = q > 0 and a[q - 1] - a[q] > 0.05 * top and a[q] <= a[0] + 0.05 * top
            if dropped:
                out.append(_f("warmup_restart", "error", q,
                              f"after the peak ({a[p]:.3g} at update {p}) the LR fell from {a[q - 1]:.3g} to "
                              f"{a[q]:.3g} at update {q} and ramped up again",
                              "the schedule restarted: scheduler state not saved or not loaded on resume, or the "
                              "scheduler rebuilt after loading the optimizer (it rewrites the groups' lr)",
                              "save scheduler.state_dict() with the checkpoint; on resume build optimizer and "
                              "scheduler, then load both state dicts", q))
            else:
                out.append(_f("rise_after_decay", "error", q,
                              f"the LR decayed to {a[q]:.3g} at update {q}, then rose to {a[t_star]:.3g} by update "
                              f"{t_star}",
                              "training continued past the schedule's end (HF cosine keeps following the cosine past "
                              "num_training_steps; CosineAnnealingLR is periodic), or an epoch-length schedule "
                              "stepped per update",
                              "set num_training_steps to the number of optimizer updates you will run, or clamp the "
                              "schedule after it", (a[t_star] - a[q]) / top))
    return out


# ----------------------------------------------------------------------------------------------- expected


def _expected_fn(expected: Any, peak: float, horizon: int) -> tuple[Any, np.ndarray]:
    """``(E, dense)``: ``dense[u]`` the expected LR at updates ``u = 0..horizon`` (one vectorised evaluation),
    ``E(u)`` its linear interpolation at float clocks ``u`` (clamped to ``[0, horizon]``). Interpolating a
    schedule between whole updates is exact for linear pieces and within ~1e-9 of the peak for a cosine."""
    if isinstance(expected, Schedule):
        dense = peak * expected.values(horizon + 1)
    else:
        dense = np.interp(np.arange(horizon + 1, dtype=np.float64), np.arange(len(expected), dtype=np.float64),
                          expected)
    xs = np.arange(horizon + 1, dtype=np.float64)
    return (lambda u: np.interp(np.asarray(u, dtype=np.float64), xs, dense)), dense


def _err(a: np.ndarray, e: np.ndarray, scale: float) -> float:
    """How far a hypothesis misses, in units of the peak: the max error, or -- when that comes from a minority of
    updates (lengths rounded to whole updates: a warmup of 17 where 2 x 8 was meant) -- the 75th percentile, if the
    max stays below 0.1 of the peak."""
    if not len(a):
        return 0.0
    dev = np.abs(a - e) / scale
    worst = float(dev.max())
    if worst <= 0.1:
        return min(worst, float(np.percentile(dev, 75)))
    return worst


def _candidates(n: int, e_idx: np.ndarray, a: np.ndarray, top_e: float, d: int, events: np.ndarray | None,
                structure: Any, peak: float) -> list[tuple[str, Any, dict]]:
    """Hypotheses: (kind, clock function or direct evaluator, parameters)."""
    t_peak_a = int(np.argmax(a))
    t_peak_e = int(np.argmax(e_idx))
    cands: list[tuple[str, Any, dict]] = []
    ratios = {float(r) for r in range(2, 17)} | {1.0 / r for r in range(2, 17)}
    if t_peak_a > 0 and t_peak_e > 0 and e_idx[t_peak_e] > 0:
        ratios.add(t_peak_e / t_peak_a)
    for r in sorted(ratios):
        cands.append(("time_scaled", lambda t, r=r: r * t, {"r": r}))
        if r > 1 and float(r).is_integer():
            cands.append(("time_scaled", lambda t, r=r: r * t + (r - 1), {"r": r}))
        if r < 1 and (1 / r).is_integer():
            E = int(round(1 / r))
            cands.append(("epoch_steps", lambda t, E=E: np.floor(t / E), {"r": r, "every": E}))
    # what clock value j does the trace show at update d? search the expected curve for a[d] on both branches
    js = {0}
    target = a[d]
    hor = len(e_idx)
    js.add(int(np.argmin(np.abs(e_idx[: t_peak_e + 1] - target))))
    js.add(t_peak_e + int(np.argmin(np.abs(e_idx[t_peak_e:] - target))))
    for j0 in list(js):
        for dj in (-1, 1):
            if 0 <= j0 + dj < hor:
                js.add(j0 + dj)
    shifts = {t_peak_e - t_peak_a} | set(range(-5, 6)) | {j - d for j in js}
    shifts.discard(0)
    for k in sorted(shifts):
        cands.append(("shifted", lambda t, k=k: t + k, {"k": k}))
    if 0 < d < n:
        for j in sorted(js):
            kind = "restarted" if j == 0 else "jumped"
            cands.append((kind, lambda t, d=d, j=j: np.where(t < d, t, t - d + j), {"k": d, "j": j}))
    if events is not None:
        # last (ties go to the plain hypotheses above): the recorder's clock, the scheduler.step() calls made before
        # update t -- it absorbs skipped updates and extra calls -- possibly with lengths counted r times too long
        ev = lambda t: events[np.minimum(t.astype(np.int64), n - 1)]  # noqa: E731
        cands.append(("shifted", lambda t: ev(t), {"k": int(events[-1]) - (n - 1), "events": True}))
        for r in [1.0 / k for k in range(2, 17)] + [float(k) for k in range(2, 17)]:
            cands.append(("time_scaled", lambda t, r=r: r * ev(t), {"r": r}))
    if structure is not None:
        w, warm, then = structure
        D = getattr(then, "decay_steps", None)
        # the decay's clock started at 0: then(t) after the warmup; over W + D steps: then(t * D / (W + D))
        cands.append(("decay_clock", ("direct", lambda t: peak * np.where(t < w, warm(np.minimum(t, w)), then(t))),
                      {"W": w}))
        if D:
            s = D / (w + D)
            cands.append(("decay_clock", ("direct", lambda t: peak * np.where(
                t < w, warm(np.minimum(t, w)), then(t * s))), {"W": w}))
            cands.append(("decay_clock", ("direct", lambda t: peak * warm(np.minimum(t, w)) * then(t * s)),
                          {"W": w, "product": True}))
    return cands


def _structure(expected: Any) -> Any:
    # with_warmup(warm, then, W): the decay's own clock is t - W (see schedules.with_warmup)
    if isinstance(expected, Schedule) and hasattr(expected, "then") and hasattr(expected, "warmup"):
        w = getattr(expected, "warmup_steps", 0)
        if w:
            return int(w), expected.warmup, expected.then
    return None


def _expected_findings(a: np.ndarray, efn: Any, peak: float, total: int | None, tol: float,
                       structure: Any, events: np.ndarray | None = None) -> tuple[list[Finding], np.ndarray]:
    out: list[Finding] = []
    n = len(a)
    length = max(n, total or 0)
    horizon = length + min(length, 10_000)  # room for a clock running ahead (shifts; scales clamp to the end)
    efn, e_idx = efn(horizon)
    t = np.arange(n, dtype=np.float64)
    e = e_idx[:n]
    scale = peak if peak > 0 else 1.0
    dev = np.abs(a - e)
    if total is not None and n > total:
        dev[total:] = 0.0  # past the schedule's end: judged by the rises_after_end check below
    bad = np.flatnonzero(dev > tol * scale)
    e_pos = e > 1e-9 * scale
    if len(bad) == 0:
        fit = ("identity", {})
    else:
        d = int(bad[0])
        # subsample for speed: every update near the start, evenly spaced after
        m = min(n, total) if total is not None else n  # past the end is judged separately
        if m > 4000:
            sub = np.unique(np.r_[np.arange(2000), np.linspace(0, m - 1, 2000).astype(np.int64), bad[:200]])
        else:
            sub = np.arange(m)
        ts, as_ = sub.astype(np.float64), a[sub]
        best = (math.inf, None, None)
        for kind, clock, params in _candidates(n, e_idx, a, float(e_idx.max()), d, events, structure, peak):
            if isinstance(clock, tuple):
                ev = clock[1](ts)
            else:
                ev = efn(clock(ts))
            err = _err(as_, ev, scale)
            if err < best[0] - 1e-12:
                best = (err, kind, (clock, params))
        accept = max(20 * tol, 0.01)
        if best[1] is not None and best[0] <= accept:
            clock, params = best[2]
            ev = clock[1](t[:m]) if isinstance(clock, tuple) else efn(clock(t[:m]))  # the winner, on every update
            if _err(a[:m], ev, scale) <= accept:
                fit = (best[1], params)
            else:
                fit = ("mismatch", {"d": d})
        else:
            fit = ("mismatch", {"d": d})
        kind, p = fit
        worst = int(np.argmax(dev))
        if kind == "time_scaled":
            r = p["r"]
            fast = r > 1
            rtxt = f"{r:.3g}x too fast" if fast else f"{1 / r:.3g}x too slow"
            out.append(_f("time_scaled", "error", d,
                          f"the LR follows the expected schedule at {r:.3g}x its clock: it runs {rtxt} "
                          f"(the warmup ends near update {int(np.argmax(e_idx) / r)} instead of {int(np.argmax(e_idx))})",
                          ("the scheduler is stepped per micro-batch, or several times per update (accelerate steps "
                           "it once per process)") if fast else
                          ("num_training_steps/warmup_steps counted in micro-batches (gradient accumulation), per "
                           "process without dividing by the world size, or in samples"),
                          "count every length in optimizer updates: ceil(batches per epoch / accumulation) x epochs, "
                          "with batches per epoch per process; step the scheduler once per optimizer.step()", r))
        elif kind == "epoch_steps":
            out.append(_f("epoch_steps", "error", d,
                          f"the LR changes only every {p['every']} updates and follows the expected schedule "
                          f"{p['every']}x too slowly",
                          "a per-update schedule stepped once per epoch (Lightning's default interval='epoch', an "
                          "epoch loop, timm's t_in_epochs=True)",
                          "step the scheduler after every optimizer update (Lightning: interval='step')", p["every"]))
        elif kind == "shifted":
            k = p["k"]
            out.append(_f("shifted", "error", d,
                          f"the LR is the expected schedule shifted by {abs(k)} update(s) "
                          f"({'ahead' if k > 0 else 'behind'}): update t used the LR of update t{k:+d}",
                          ("the scheduler advanced on updates the optimizer skipped (AMP GradScaler), or "
                           "scheduler.step() before optimizer.step()") if k > 0 else
                          "the scheduler started late (stepped after a delay, or last_epoch off by one)",
                          "step the scheduler exactly once after each applied optimizer update", k))
        elif kind == "restarted":
            out.append(_f("restarted", "error", p["k"],
                          f"up to update {p['k'] - 1} the expected schedule; from update {p['k']} on it starts again "
                          f"from its beginning (LR {a[p['k'] - 1]:.3g} -> {a[p['k']]:.3g})",
                          "resumed from a checkpoint without the scheduler's state (or rebuilt the scheduler after "
                          "loading the optimizer: it rewrites param_groups[i]['lr'])",
                          "checkpoint scheduler.state_dict(); on resume build model, optimizer, scheduler, then load "
                          "the optimizer's and the scheduler's state dicts", p["k"]))
        elif kind == "jumped":
            k, j = p["k"], p["j"]
            out.append(_f("jumped", "error", k,
                          f"at update {k} the schedule's clock jumped to {j} ({j - k:+d} updates): the LR went "
                          f"{a[k - 1]:.3g} -> {a[k]:.3g}",
                          "resumed with the wrong step count (last_epoch, a scheduler stepped once per loaded epoch, "
                          "SequentialLR/ChainedScheduler restored partly)",
                          "restore the scheduler with load_state_dict instead of last_epoch, and check the LR of the "
                          "first update after a resume", j - k))
        elif kind == "decay_clock":
            w = p["W"]
            out.append(_f("decay_clock", "error", w,
                          f"the warmup is as expected but the decay runs from update 0, not from update {w}: at update "
                          f"{w} the LR is {a[min(w, n - 1)] / scale:.3g} of the peak"
                          + (" and the warmup itself is scaled down by the decay" if p.get("product") else ""),
                          "the decay's clock counts from the start of training (timm without warmup_prefix, "
                          "ChainedScheduler multiplying warmup and decay, cosine of the global step)",
                          "start the decay at the end of the warmup: SequentialLR(milestones=[W]), timm "
                          "warmup_prefix=True, cosine of (t - W) over (T - W)", w))
        elif kind == "mismatch":
            out.append(_f("mismatch", "warning", d,
                          f"the LR departs from the expected schedule from update {d} on (largest difference "
                          f"{dev[worst] / scale:.3g} of the peak, at update {worst})",
                          "a schedule with other parameters or conventions than expected",
                          "compare the two curves; check warmup_steps, total steps and the scheduler's step calls",
                          dev[worst] / scale))
    # peak never reached
    e_top = float(e.max()) if n else 0.0
    if n and e_top > 0 and a.max() < 0.97 * e_top:
        out.append(_f("peak_not_reached", "warning", int(np.argmax(a)),
                      f"the LR peaks at {a.max():.3g} ({a.max() / e_top:.0%} of the expected {e_top:.3g})",
                      "warmup longer than counted, a decay that started during warmup, or schedulers multiplied "
                      "(ChainedScheduler, pytorch_warmup's dampening on a decay)",
                      "check that the warmup ends at its peak: the LR at update W should be the peak LR",
                      a.max() / e_top))
    # cut off, and past the end
    if total is not None:
        if n < total:
            left = float(efn(np.array([float(n - 1)]))[0]) if n else 0.0
            out.append(_f("cut_off", "warning", n - 1 if n else None,
                          f"the run stopped after {n} of the schedule's {total} updates "
                          f"({1 - n / total:.0%} of it never ran; the last LR was {left / scale:.3g} of the peak)",
                          "max_steps/epochs smaller than the num_training_steps the scheduler was built with "
                          "(total steps overcounted), or the run was interrupted",
                          "build the scheduler with the number of updates you will run", n / total))
        elif n > total:
            after = a[total - 1:]
            rise = float(after.max() - after[0])
            if rise > 0.01 * scale:
                k = total - 1 + int(np.argmax(after > after[0] + 0.01 * scale))
                out.append(_f("rises_after_end", "error", k,
                              f"past the schedule's end (update {total}) the LR climbs back to {after.max() / scale:.3g} "
                              f"of the peak",
                              "training continued past num_training_steps: HF's cosine lambda keeps following the "
                              "cosine (it rises again), CosineAnnealingLR is periodic",
                              "build the schedule with the number of updates you run; to continue, build a new schedule",
                              rise / scale))
            else:
                out.append(_f("cut_off", "note", total,
                              f"the run went on for {n - total} updates past the schedule's {total}",
                              "total steps undercounted", "build the scheduler with the number of updates you run",
                              n / total))
    return out, e_pos


# ----------------------------------------------------------------------------------------------- audit


def audit(
    trace: Any,
    expected: Any = None,
    *,
    total_steps: int | None = None,
    peak_lr: float | None = None,
    group: int = 0,
    tol: float = 1e-3,
    min_zero_run: int | None = None,
    rise_tol: float = 0.05,
    cyclic: bool = False,
) -> Report:
    """Check an LR trace for the classic warmup mistakes; returns a :class:`Report`.

    Args:
        trace: an :class:`LRTrace` (or the recorder that made it), or an array of per-update LRs (1-D, or
            updates x param groups).
        expected: the schedule the run should have followed: a :class:`~warmup_course.schedules.Schedule` of
            multipliers (times ``peak_lr``), or an array of the expected LR per update.
        total_steps: the number of updates the schedule was meant to span (checks cut-off and training past it).
        peak_lr: the LR the multiplier 1 stands for; default the trace's recorded base LR (``initial_lr``).
        group: which param group to audit.
        tol: how far (as a fraction of the peak) the trace may differ from ``expected`` and still match it.
        min_zero_run: updates in a row at LR 0 that count as a "long stretch" (default ``max(3, n // 100)``).
        rise_tol: how far (fraction of the peak) the LR may rise after its decay before it is flagged.
        cyclic: True for schedules that restart on purpose (SGDR, cyclic LR): no restart/rise findings.

    Every finding is computed with vectorised numpy (about 20 passes over the trace): a 10^6-update trace
    takes tens of milliseconds.
    """
    tr = _as_trace(trace)
    n = len(tr)
    if n > MAX_ITEMS:
        raise ValueError(f"trace must have at most {MAX_ITEMS} updates, got {n}")
    group = check_int("group", group, 0)
    if tr.lrs.shape[1] and group >= tr.lrs.shape[1]:
        raise ValueError(f"group must be < the trace's {tr.lrs.shape[1]} param groups, got {group}")
    tol = check_real("tol", tol, 0.0, 1.0, low_open=True)
    rise_tol = check_real("rise_tol", rise_tol, 0.0, 1.0, low_open=True)
    cyclic = check_bool("cyclic", cyclic)
    if total_steps is not None:
        total_steps = check_int("total_steps", total_steps, 1, MAX_ITEMS)
    if min_zero_run is None:
        min_zero_run = max(3, n // 100)
    min_zero_run = check_int("min_zero_run", min_zero_run, 1, MAX_ITEMS)
    a = tr.lrs[:, group] if tr.lrs.shape[1] else np.zeros(n)
    if expected is not None:
        if isinstance(expected, Schedule):
            if peak_lr is None:
                if tr.base_lrs is None:
                    raise ValueError("peak_lr must be given with an expected Schedule when the trace has no base LR "
                                     "(an array, not a recorded trace)")
                peak_lr = tr.base_lrs[group]
            peak = check_real("peak_lr", peak_lr, 0.0, low_open=True)
        else:
            if isinstance(expected, (bool, np.bool_, str, bytes, int, float, dict)):
                raise TypeError(f"expected must be a Schedule or an array of LRs, got {describe(expected)}")
            exp_arr = check_array("expected", expected, ndim=1, finite=True, nonempty=True, minimum=0)
            if peak_lr is not None:
                check_real("peak_lr", peak_lr, 0.0, low_open=True)
            peak = float(exp_arr.max()) if peak_lr is None else float(peak_lr)
            if peak <= 0:
                raise ValueError("expected must have a positive value somewhere")
            expected = exp_arr
    elif peak_lr is not None:
        check_real("peak_lr", peak_lr, 0.0, low_open=True)
    findings = _event_findings(tr)
    e_pos = None
    if expected is not None and n:
        efn = lambda horizon: _expected_fn(expected, peak, horizon)  # noqa: E731
        events = None
        if tr.scheduler_calls is not None and len(tr.scheduler_calls):
            # update t ran after the scheduler calls made when at most t updates had been applied
            events = np.searchsorted(np.sort(tr.scheduler_calls), np.arange(n), side="right").astype(np.float64)
        exp_findings, e_pos = _expected_findings(a, efn, peak, total_steps, tol, _structure(expected), events)
        findings += exp_findings
    elif total_steps is not None and n > total_steps:
        after = a[total_steps - 1:]
        if n and after.max() - after[0] > rise_tol * max(a.max(), 1e-300):
            findings.append(_f("rises_after_end", "error", total_steps,
                               f"past update {total_steps} the LR rises from {after[0]:.3g} to {after.max():.3g}",
                               "training continued past the schedule's end (HF cosine, CosineAnnealingLR)",
                               "build the schedule with the number of updates you run", None))
    shape = _shape_findings(a, min_zero_run, rise_tol, cyclic, e_pos)
    have = {f.kind for f in findings}
    # one finding per mistake: a shape symptom already explained by the expected-schedule fit is dropped
    explained = {"warmup_jump": {"decay_clock"}, "warmup_restart": {"restarted", "jumped"},
                 "rise_after_decay": {"rises_after_end", "time_scaled", "restarted", "jumped"},
                 "still_ramping": {"time_scaled", "epoch_steps"}, "zero_lr": set()}
    findings += [f for f in shape if not (explained.get(f.kind, set()) & have)]
    order = {s: i for i, s in enumerate(_SEVERITIES)}
    findings.sort(key=lambda f: (order[f.severity], -1 if f.update is None else f.update))
    if n:
        p = int(np.argmax(a))
        summary = (f"{n} updates, param group {group}: peak LR {a[p]:.3g} at update {p}, first {a[0]:.3g}, "
                   f"last {a[-1]:.3g}")
    else:
        summary = "an empty trace (no optimizer update recorded)"
    if len(tr.skipped):
        summary += f"; {len(tr.skipped)} skipped update(s)"
    return Report(findings, summary)
