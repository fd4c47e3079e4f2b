"""warmup_course.distributed: real torch.distributed runs (gloo, 127.0.0.1) started and stopped by one call.

Each launch starts fresh processes that import torch (a few seconds each), so the file keeps to a handful of
launches. The worker functions live here, at module level, because spawned processes import them by name.
"""

from __future__ import annotations

import functools
import os
import socket
import sys
import threading

import numpy as np
import psutil
import pytest
import torch
from torch import nn

from warmup_course import data as D
from warmup_course import models as M
from warmup_course.distributed import DistributedError, launch, train_distributed
from warmup_course.schedules import linear_warmup
from warmup_course.training import train

STEPS, BATCH = 12, 64
#: Generous: a call takes 4-9 s on an idle 2-core machine, but minutes when other jobs load it (each worker
#: imports torch); the timeout is a safety net, not a speed goal.
LONG = 600


def _our_children() -> list[psutil.Process]:
    """Live child processes, except multiprocessing's own resource tracker (one per interpreter, by design)."""
    out = []
    for child in psutil.Process().children(recursive=True):
        try:
            if child.status() == psutil.STATUS_ZOMBIE or "resource_tracker" in " ".join(child.cmdline()):
                continue
        except psutil.NoSuchProcess:
            continue
        out.append(child)
    return out


@pytest.fixture(autouse=True)
def nothing_left_running():
    before = {p.pid for p in _our_children()}
    yield
    left = [p for p in _our_children() if p.pid not in before]
    assert not left, f"processes left running: {[(p.pid, p.cmdline()) for p in left]}"


@pytest.fixture(scope="module")
def digits() -> D.ArrayData:
    return D.load_digits()


# -- workers (module level: spawned processes import them) ------------------------------------------------


def _sum_ranks(rank: int, world_size: int, scale: float) -> dict:
    import torch.distributed as dist

    t = torch.full((3,), float(rank) * scale)
    dist.all_reduce(t)
    return {"rank": rank, "world_size": world_size, "sum": t}  # a tensor: comes back as numpy


def _fail_on_rank_1(rank: int, world_size: int) -> int:
    if rank == 1:
        raise ValueError("planted failure in the worker")
    return rank


def _die_on_rank_1(rank: int, world_size: int) -> int:
    if rank == 1:
        os._exit(3)
    return rank


def _matmul_threads(rank: int, world_size: int) -> tuple:
    a = torch.randn(300, 300)
    return torch.get_num_threads(), float((a @ a).sum().isfinite())


class GhostBatch(nn.Module):
    """One process that runs ``model`` on each of ``chunks`` slices of the batch separately: BatchNorm then
    normalises per slice, as each DDP worker does on its shard (Hoffer et al. 2017's "ghost batch norm")."""

    def __init__(self, model: nn.Module, chunks: int):
        super().__init__()
        self.model, self.chunks = model, chunks

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.model(c) for c in x.chunk(self.chunks)])


# -- launch -------------------------------------------------------------------------------------------------


def test_launch_returns_values_by_rank_after_a_collective():
    out = launch(_sum_ranks, 3, (2.0,), timeout=LONG)
    assert [o["rank"] for o in out] == [0, 1, 2]
    assert all(o["world_size"] == 3 for o in out)
    for o in out:  # 2 * (0 + 1 + 2) on every rank: the all-reduce really ran across the processes
        assert isinstance(o["sum"], np.ndarray)
        np.testing.assert_array_equal(o["sum"], [6.0, 6.0, 6.0])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")
def test_forked_workers_run_torch_after_the_parent_ran_a_parallel_region():
    # GNU OpenMP hangs in a forked child whose parent used a parallel region with more than one thread: the
    # workers must switch torch to one thread before any op (the timeout turns a hang into a failure).
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        a = torch.randn(600, 600)
        (a @ a).sum()
        out = launch(_matmul_threads, 2, timeout=120)
    finally:
        torch.set_num_threads(before)
    assert out == [(1, 1.0), (1, 1.0)]
    assert torch.get_num_threads() == before  # the caller's setting is untouched


def test_a_worker_exception_names_its_rank():
    with pytest.raises(DistributedError, match=r"rank 1 .*ValueError: planted failure in the worker") as info:
        launch(_fail_on_rank_1, 2, timeout=LONG)
    assert info.value.rank == 1
    assert "Traceback" in info.value.details and "_fail_on_rank_1" in info.value.details


def test_a_dead_worker_is_reported_with_its_exit_code():
    with pytest.raises(DistributedError, match=r"rank 1 died with exit code 3"):
        launch(_die_on_rank_1, 2, timeout=LONG)


def test_a_taken_port_is_a_clear_error():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(DistributedError, match=f"port {port} .*already in use"):
            launch(_sum_ranks, 2, (1.0,), port=port)


def test_bad_arguments_are_refused_before_any_process_starts():
    with pytest.raises(TypeError, match="fn"):
        launch(lambda rank, world_size: rank)  # not importable by a spawned process
    with pytest.raises(ValueError, match="world_size"):
        launch(_sum_ranks, 0)
    with pytest.raises(ValueError, match="timeout"):
        launch(_sum_ranks, 2, (1.0,), timeout=-1)
    with pytest.raises(TypeError, match="args"):
        launch(_sum_ranks, 2, 1.0)
    with pytest.raises(TypeError, match="args must be picklable"):  # forked workers would not need it; spawned ones do
        launch(_sum_ranks, 2, (threading.Lock(),))
    with pytest.raises(TypeError, match="optimizer"):
        train_distributed(M.mlp(hidden=8, depth=1), D.load_digits(), torch.optim.SGD(M.mlp(hidden=8, depth=1).parameters(), lr=0.1),
                          None, 2, 8, seed=0)
    with pytest.raises(ValueError, match="batch_size"):
        train_distributed(M.mlp(hidden=8, depth=1), D.load_digits(), functools.partial(torch.optim.SGD, lr=0.1),
                          None, 2, 7, seed=0, world_size=2)


# -- train_distributed ---------------------------------------------------------------------------------------


def test_two_workers_at_batch_b_match_one_process_at_batch_2b(digits):
    """No BatchNorm: the mean of the two shards' gradients is the global batch's gradient, so every update
    is the same up to float rounding (the summation order differs)."""
    opt = functools.partial(torch.optim.SGD, lr=0.4, momentum=0.9)
    model = M.mlp(hidden=64, depth=2, seed=1)
    before = [p.detach().clone() for p in model.parameters()]
    dist = train_distributed(model, digits, opt, linear_warmup(4), STEPS, BATCH, seed=5, world_size=2, timeout=LONG,
                             per_tensor=True)
    one = train(M.mlp(hidden=64, depth=2, seed=1), digits, opt, linear_warmup(4), STEPS, BATCH, seed=5,
                per_tensor=True)
    assert len(dist) == len(one) == STEPS and not dist.diverged
    # the run moved the loss a lot, so matching to 1e-5 is not matching two flat lines
    assert one.loss[0] - one.loss[-1] > 0.5
    np.testing.assert_allclose(dist.loss, one.loss, rtol=0, atol=1e-5)
    np.testing.assert_allclose(dist.grad_norm, one.grad_norm, rtol=1e-4)
    np.testing.assert_allclose(dist.update_ratio[1:], one.update_ratio[1:], rtol=1e-4)
    np.testing.assert_array_equal(dist.lr, one.lr)
    np.testing.assert_allclose(dist.eval["test_loss"], one.eval["test_loss"], atol=1e-5)
    assert dist.tensor_names == one.tensor_names  # DDP's "module." prefix removed
    assert dist.config["world_size"] == 2 and dist.config["batch_size_per_worker"] == BATCH // 2
    # the caller's model is untouched: the workers trained their own copies
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_with_batchnorm_the_statistics_are_per_worker(digits):
    """BatchNorm: each worker normalises its own shard, so 2 workers x B differ from 1 process x 2B -- and equal
    1 process that normalises each half of the batch separately (ghost batches of B)."""
    opt = functools.partial(torch.optim.SGD, lr=0.2, momentum=0.9)
    dist = train_distributed(M.mlp(hidden=64, depth=2, batchnorm=True, seed=2), digits, opt, None, STEPS, BATCH,
                             seed=6, world_size=2, eval_every=0, timeout=LONG)
    full = train(M.mlp(hidden=64, depth=2, batchnorm=True, seed=2), digits, opt, None, STEPS, BATCH, seed=6,
                 eval_every=0)
    ghost = train(GhostBatch(M.mlp(hidden=64, depth=2, batchnorm=True, seed=2), 2), digits, opt, None, STEPS,
                  BATCH, seed=6, eval_every=0)
    assert np.abs(dist.loss - full.loss).max() > 1e-3  # the BatchNorm batch is B, not 2B
    np.testing.assert_allclose(dist.loss, ghost.loss, rtol=0, atol=1e-5)
    np.testing.assert_allclose(dist.grad_norm, ghost.grad_norm, rtol=1e-4)
