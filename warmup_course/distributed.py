"""Data-parallel training for real: ``torch.distributed`` on this machine, started and stopped by one call.

:func:`launch` runs a module-level function in ``world_size`` fresh processes joined in a gloo process group
on the loopback interface, and returns what each returned, ordered by rank. :func:`train_distributed` runs the
course's :func:`~warmup_course.training.train` that way, as ``DistributedDataParallel`` (DDP): each worker
computes the gradient of its shard of every global batch, DDP averages the gradients over the workers with
an all-reduce during ``backward()``, and every worker applies the same update to its copy of the model. So

    world_size workers x (batch_size / world_size) examples  ==  1 process x batch_size examples

update for update, up to float rounding (the mean of the shard means is the global mean when the shards are
equal; the summation order differs). That is the premise of the linear scaling rule of Goyal et al. 2017
(https://arxiv.org/abs/1706.02677, section 2.1 and appendix): the LR follows the *global* batch, and the
warmup is counted in optimizer updates, which are the same in both runs.

**What differs with BatchNorm.** A BatchNorm layer normalises with the mean and variance of the batch it
sees, and under DDP each worker sees only its shard: the statistics are per worker, computed over
``batch_size / world_size`` examples, not over the global batch (Goyal et al. section 2.3 keep it so on
purpose: the per-worker sample size n = 32 stays fixed while the number of workers, and the global batch,
grows; ``torch.nn.SyncBatchNorm`` is the alternative that all-reduces the statistics). The training losses then equal those of one process that
normalises each ``batch_size / world_size`` slice of the global batch separately ("ghost batch norm",
Hoffer et al. 2017), not those of one process at batch ``batch_size``. The running statistics used at
evaluation are rank 0's: DDP broadcasts rank 0's buffers to the other workers at every forward pass
(``broadcast_buffers=True``), so they are estimated from rank 0's shards only.

Practicalities (the course's notes, EXPERIMENT-NOTES I): the function a worker runs must live in a module (a
function defined in a notebook cannot be found by a spawned process); results travel back through a queue as
plain Python / numpy values (tensors are converted); the queue is read before the processes are joined; each
call binds a fresh free port on 127.0.0.1 and sets ``GLOO_SOCKET_IFNAME=lo``; every worker destroys its process
group in ``finally``; nothing is left running when the call returns or raises.

How workers start: on Linux they are *forked* from the caller, so they share its already-imported torch
(copy-on-write) instead of importing it again: a worker costs tens of MB and a fraction of a second rather than
~0.3 GB and ~3 s. A forked worker runs torch on one thread (``torch.set_num_threads(1)``): GNU OpenMP, which
torch's Linux wheels use, hangs in a forked child whose parent already ran a parallel region (the same reason
torch's ``DataLoader`` workers use one thread). Elsewhere (macOS, where fork is unsafe with the system
frameworks; Windows, which has none) they are started with ``spawn``, a fresh interpreter.
"""

from __future__ import annotations

import datetime
import multiprocessing as mp
import os
import pickle
import queue as queue_module
import socket
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import nn

from warmup_course.training import History, train
from warmup_course.validation import MAX_ITEMS, check_callable, check_int, check_real, check_seed, describe

__all__ = ["DistributedError", "launch", "train_distributed", "MAX_WORKERS"]

#: The most worker processes :func:`launch` starts (a spawned worker imports torch: ~0.3 GB of memory).
MAX_WORKERS = 16
_HOST = "127.0.0.1"
#: Seconds a dead worker's report may still be in flight through the queue before it counts as lost.
_GRACE = 2.0


class DistributedError(RuntimeError):
    """A worker of :func:`launch` failed, died, timed out, or could not join the process group.

    ``rank`` is the failing worker's rank (None when the failure is not one worker's, e.g. a timeout of
    several), ``details`` the worker's traceback text when it sent one.
    """

    def __init__(self, message: str, rank: int | None = None, details: str = ""):
        super().__init__(message)
        self.rank = rank
        self.details = details


# ----------------------------------------------------------------------------------------------- launch


def _free_port() -> int:
    """A port the OS reports free on 127.0.0.1 (bind to port 0, read it back, release it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((_HOST, 0))
        return int(s.getsockname()[1])


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((_HOST, port))
        except OSError:
            return True
    return False


def _plain(value: Any) -> Any:
    """Tensors -> numpy arrays, recursively through lists, tuples and dicts (tensors die with their process)."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(_plain(v) for v in value)
    return value


def _start_method() -> str:
    """``fork`` on Linux (workers share the caller's imported torch), ``spawn`` elsewhere (see the module doc)."""
    return "fork" if sys.platform.startswith("linux") else "spawn"


def _worker(rank: int, world_size: int, port: int, timeout: float, fn: Callable, args: tuple, results: Any,
            forked: bool = False) -> None:
    """One process: join the group, run ``fn``, send ``(rank, ok, value_or_traceback)``, leave the group."""
    import torch.distributed as dist

    if forked:
        torch.set_num_threads(1)  # first: OpenMP's pool does not survive fork (a second thread would hang)

    os.environ["GLOO_SOCKET_IFNAME"] = "lo"  # loopback only: never bind an external interface
    os.environ["MASTER_ADDR"], os.environ["MASTER_PORT"] = _HOST, str(port)
    joined = False
    try:
        dist.init_process_group(
            "gloo", init_method=f"tcp://{_HOST}:{port}", rank=rank, world_size=world_size,
            timeout=datetime.timedelta(seconds=timeout),
        )
        joined = True
        dist.barrier()  # every rank has connected: one that returns and exits early cannot break another's start
        value = _plain(fn(rank, world_size, *args))
        pickle.dumps(value)  # fail here, with this rank's name, rather than in the queue's feeder thread
        results.put((rank, True, value))
    except BaseException as exc:  # report everything, including KeyboardInterrupt/SystemExit, with the rank
        text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        results.put((rank, False, (f"{type(exc).__name__}: {exc}", text, joined)))
    finally:
        if joined:
            try:
                dist.destroy_process_group()
            except Exception:  # a broken group must not hide the report already sent
                pass
    # Skip the interpreter's teardown (with torch loaded it takes seconds on a busy machine): flush the report
    # and the output streams, then leave. The parent has what it needs; nothing else is held open.
    results.close()
    results.join_thread()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    os._exit(0)


def _stop(procs: Sequence[Any]) -> None:
    """Join every process; terminate (then kill) any that does not end on its own."""
    for p in procs:
        p.join(timeout=3.0)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=3.0)
        if p.is_alive():
            p.kill()
            p.join(timeout=3.0)


def launch(
    fn: Callable[..., Any],
    world_size: int = 2,
    args: Sequence[Any] = (),
    *,
    timeout: float = 60.0,
    port: int | None = None,
) -> list:
    """Run ``fn(rank, world_size, *args)`` in ``world_size`` new processes joined in a gloo process group.

    Every process is forked from the caller on Linux (one torch thread each) and spawned elsewhere (see the
    module doc); it joins ``torch.distributed`` through a TCP rendezvous on ``127.0.0.1:port``, runs
    ``fn``, and leaves the group. ``fn`` may use any collective (``all_reduce``, DDP, ...). Print from rank 0
    only: every worker's output reaches the caller's stdout, interleaved.

    Args:
        fn: a function defined at module level in an importable module (not in a notebook or ``__main__``
            of an interactive session: spawned processes import it by name). It returns a picklable value;
            tensors in it (also inside lists, tuples, dicts) come back as numpy arrays.
        world_size: number of processes (1 to :data:`MAX_WORKERS`).
        args: extra positional arguments, picklable (checked, so that a call behaves the same where workers
            are spawned). Forked workers inherit them copy-on-write; spawned ones receive tensors in shared
            memory (torch.multiprocessing's pickler): read them, never modify them in place -- send a model to
            train as ``pickle.dumps(model)`` bytes so each worker gets its own weights.
        timeout: seconds the whole call may take, start-up included; also the process group's timeout.
        port: the rendezvous port on 127.0.0.1; None (default) picks a free one per call.

    Returns:
        ``[value of rank 0, value of rank 1, ...]``.

    Raises:
        DistributedError: a worker raised (the message names its rank and its exception; ``.details`` holds
            its traceback), died without reporting (its exit code), the port is taken, or ``timeout`` passed.
            All workers are stopped before it is raised.
    """
    check_callable("fn", fn)
    world_size = check_int("world_size", world_size, 1, MAX_WORKERS)
    if isinstance(args, (str, bytes)) or not isinstance(args, Sequence):
        raise TypeError(f"args must be a tuple or list of fn's extra arguments, got {describe(args)}")
    args = tuple(args)
    timeout = check_real("timeout", timeout, 0.0, 24 * 3600.0, low_open=True)
    if port is not None:
        port = check_int("port", port, 1024, 65535)
    try:
        pickle.dumps(fn)
    except Exception as exc:
        raise TypeError(
            f"fn must be a module-level function that spawned processes can import by name (define it in a .py "
            f"module, not in a notebook cell or as a lambda/closure), got {describe(fn)}: {exc}"
        ) from None

    try:
        pickle.dumps(args)
    except Exception as exc:
        raise TypeError(f"args must be picklable to reach the workers: {exc}") from None

    chosen = port is None
    for attempt in range(3 if chosen else 1):
        use = _free_port() if chosen else port
        if not chosen and _port_taken(use):
            raise DistributedError(
                f"port {use} on {_HOST} is already in use; pass port=None to let launch pick a free one"
            )
        try:
            return _launch_once(fn, world_size, args, timeout, use)
        except DistributedError as exc:
            # Another program can grab the probed port before rank 0 binds it: pick a new one (auto only).
            if chosen and attempt < 2 and getattr(exc, "port_taken", False):
                continue
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def _launch_once(fn: Callable, world_size: int, args: tuple, timeout: float, port: int) -> list:
    method = _start_method()
    ctx = mp.get_context(method)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(rank, world_size, port, timeout, fn, args, results, method == "fork"),
                    name=f"warmup_course-rank{rank}", daemon=False)  # may start DataLoader workers
        for rank in range(world_size)
    ]
    values: dict[int, Any] = {}
    dead_since: dict[int, float] = {}
    deadline = time.monotonic() + timeout
    try:
        for p in procs:
            try:
                p.start()
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                raise TypeError(f"args must be picklable to reach the workers: {exc}") from None
        # Read the queue before joining: a worker blocks on exit until its report has been consumed.
        while len(values) < world_size:
            now = time.monotonic()
            if now > deadline:
                missing = [r for r in range(world_size) if r not in values]
                raise DistributedError(
                    f"timeout after {timeout:g} s: rank(s) {missing} did not finish (a collective waiting for a "
                    "worker that never joined, or fn is slower than timeout)"
                )
            try:
                rank, ok, payload = results.get(timeout=0.05)
            except queue_module.Empty:
                for rank, p in enumerate(procs):
                    if rank in values or p.exitcode is None:
                        continue
                    first = dead_since.setdefault(rank, now)
                    if now - first > _GRACE:  # its report would have arrived by now
                        raise DistributedError(
                            f"worker rank {rank} died with exit code {p.exitcode} without reporting a result "
                            "(killed, out of memory, or os._exit)", rank=rank,
                        )
                continue
            if ok:
                values[rank] = payload
                continue
            summary, text, joined = payload
            if not joined and "address already in use" in text.lower():
                err = DistributedError(
                    f"port {port} on {_HOST} is already in use (rank {rank} could not open the rendezvous): "
                    f"{summary}", rank=rank, details=text,
                )
                err.port_taken = True  # type: ignore[attr-defined]
                raise err
            raise DistributedError(f"worker rank {rank} of {world_size} failed: {summary}", rank=rank, details=text)
        return [values[r] for r in range(world_size)]
    finally:
        _stop(procs)
        results.close()
        results.join_thread()


# ----------------------------------------------------------------------------------------------- DDP training


class _Shard:
    """Rank ``rank``'s slice of every global batch of ``data`` (same seed -> same permutation on every rank)."""

    def __init__(self, data: Any, rank: int, world_size: int):
        self.data, self.rank, self.world_size = data, rank, world_size
        self.name = getattr(data, "name", type(data).__name__)

    def batches(self, batch_size: int, *, seed: int, device: Any = "cpu"):
        lo, hi = self.rank * batch_size, (self.rank + 1) * batch_size
        for x, y in self.data.batches(batch_size * self.world_size, seed=seed, device=device):
            yield x[lo:hi], y[lo:hi]

    def eval_sets(self, device: Any = "cpu"):
        return self.data.eval_sets(device)


def _train_worker(rank: int, world_size: int, model_bytes: bytes, data: Any, optimizer: Callable, schedule: Any,
                  steps: int, batch_size: int, seed: int, kwargs: dict) -> History | None:
    from torch.nn.parallel import DistributedDataParallel

    model = pickle.loads(model_bytes)  # this worker's own copy (see launch: tensors in args are shared)
    ddp = DistributedDataParallel(model)  # broadcasts rank 0's parameters and buffers to every worker
    hist = train(ddp, _Shard(data, rank, world_size), optimizer, schedule, steps, batch_size // world_size,
                 seed=seed, **kwargs)
    return hist if rank == 0 else None  # every rank holds the same History (losses are all-reduced)


def train_distributed(
    model: nn.Module,
    data: Any,
    optimizer: Callable[..., torch.optim.Optimizer],
    schedule: Any,
    steps: int,
    batch_size: int,
    *,
    seed: int,
    world_size: int = 2,
    timeout: float = 120.0,
    **train_kwargs: Any,
) -> History:
    """:func:`~warmup_course.training.train` as DistributedDataParallel over ``world_size`` local processes.

    ``batch_size`` is the **global** batch: each worker takes its ``batch_size / world_size`` slice of every
    batch a single-process ``train(..., batch_size=batch_size)`` would draw, DDP averages the workers'
    gradients, and all workers apply the same update. Give the LR for the global batch (linear scaling:
    ``lr = base_lr * batch_size / base_batch``) and the warmup in updates. The recorded loss is the mean over
    the workers (all-reduced once per statistics chunk), so divergence is judged on the global batch and every
    worker stops at the same update.

    Args:
        model: the model to train; each worker trains a copy (the caller's model is not modified).
        data, schedule, steps, seed, train_kwargs: as for :func:`~warmup_course.training.train` (``device``
            should stay ``"cpu"``: gloo; probes must be module-level functions).
        optimizer: a picklable factory ``params -> Optimizer`` such as
            ``functools.partial(torch.optim.SGD, lr=0.8, momentum=0.9)`` (an optimizer instance is bound to
            the caller's parameters and cannot be sent to the workers).
        batch_size: the global batch, a multiple of ``world_size``.
        world_size: number of worker processes.
        timeout: seconds the whole call may take.

    Returns:
        The same :class:`~warmup_course.training.History` as ``train()`` (parameter names without DDP's
        ``module.`` prefix; ``config`` gains ``world_size`` and ``batch_size_per_worker``).

    With BatchNorm, the statistics are per worker (see the module docstring): the run equals a single process
    with ghost batches of ``batch_size / world_size``, not one with BatchNorm over ``batch_size``.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {describe(model)}")
    if isinstance(optimizer, torch.optim.Optimizer) or not callable(optimizer):
        raise TypeError(
            "optimizer must be a picklable factory params -> Optimizer, e.g. functools.partial(torch.optim.SGD, "
            f"lr=0.1) (an optimizer instance is bound to this process's parameters), got {describe(optimizer)}"
        )
    steps = check_int("steps", steps, 1, MAX_ITEMS)
    world_size = check_int("world_size", world_size, 1, MAX_WORKERS)
    batch_size = check_int("batch_size", batch_size, 1, MAX_ITEMS)
    if batch_size % world_size:
        raise ValueError(f"batch_size must be a multiple of world_size={world_size}, got {batch_size}")
    seed = check_seed("seed", seed)
    # Refused here, before any process starts (inside the workers it would surface as a DistributedError).
    if schedule is not None and not callable(schedule) and not (
        isinstance(schedule, (list, tuple)) and schedule and all(callable(s) for s in schedule)
    ):
        raise TypeError(f"schedule must be a Schedule, a list of Schedules, a callable t -> float or None, "
                        f"got {describe(schedule)}")
    if not (callable(getattr(data, "batches", None)) and callable(getattr(data, "eval_sets", None))):
        raise TypeError(f"data must have batches(batch_size, *, seed, device) and eval_sets(device), got {describe(data)}")
    device = train_kwargs.get("device", "cpu")
    if str(device) != "cpu":
        raise ValueError(f"device must be 'cpu' for train_distributed (gloo on this machine), got {device!r}")
    for name, value in (("optimizer", optimizer), ("schedule", schedule), ("data", data)):
        try:
            pickle.dumps(value)
        except Exception as exc:
            raise TypeError(
                f"{name} must be picklable to reach the workers (use module-level functions or "
                f"functools.partial, not lambdas or notebook-defined functions), got {describe(value)}: {exc}"
            ) from None

    # The model travels as bytes: a module passed as an argument would reach every worker in the *same* shared
    # memory (torch.multiprocessing's pickler), and all workers would then update one set of weights.
    out = launch(_train_worker, world_size,
                 (pickle.dumps(model), data, optimizer, schedule, steps, batch_size, seed, dict(train_kwargs)), timeout=timeout)
    hist: History = out[0]
    if hist.tensor_names is not None:
        hist.tensor_names = [n[len("module."):] if n.startswith("module.") else n for n in hist.tensor_names]
    hist.config.update(model=type(model).__name__, batch_size=batch_size, world_size=world_size,
                       batch_size_per_worker=batch_size // world_size)
    return hist
