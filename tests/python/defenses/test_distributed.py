"""The adversarial-training losses under DistributedDataParallel: 2 processes (gloo, CPU), each
with half of a global batch, give the parameters the gradients one process computes on the
whole batch (deterministic crafting: no random start, so both runs craft the same x')."""

import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import bulwark as bw

N = 16


def make_net():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                               torch.nn.Linear(4 * 4 * 4, 3))


def global_batch():
    g = torch.Generator().manual_seed(1)
    return torch.rand(N, 1, 6, 6, generator=g), torch.randint(0, 3, (N,), generator=g)


def loss_of(method, model, x, y):
    kw = dict(eps=0.1, steps=3, seed=0)
    if method == "pgd_at":
        return bw.defenses.pgd_at_loss(model, x, y, random_start=False, **kw)
    return bw.defenses.mart_loss(model, x, y, random_start=False, **kw)


def _worker(rank, world, port, method, out):
    torch.set_num_threads(1)
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        net = make_net()
        ddp = torch.nn.parallel.DistributedDataParallel(net)
        x, y = global_batch()
        part = slice(rank * N // world, (rank + 1) * N // world)
        loss_of(method, ddp, x[part], y[part]).backward()  # DDP averages the gradients over ranks
        # A second step checks the DDP reducer is in a sound state after crafting.
        loss_of(method, ddp, x[part], y[part]).backward()
        if rank == 0:
            torch.save([p.grad.clone() for p in net.parameters()], out)
    finally:
        dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("method", ["pgd_at", "mart"])
def test_ddp_two_processes_equal_one_process_on_the_global_batch(method, tmp_path):
    if not dist.is_available() or not dist.is_gloo_available():
        pytest.skip("torch.distributed with gloo is not available")
    out = str(tmp_path / "grads.pt")
    mp.spawn(_worker, args=(2, free_port(), method, out), nprocs=2, join=True)
    ddp_grads = torch.load(out)
    net = make_net()
    x, y = global_batch()
    loss_of(method, net, x, y).backward()
    loss_of(method, net, x, y).backward()
    for g_ddp, p in zip(ddp_grads, net.parameters()):
        torch.testing.assert_close(g_ddp, p.grad, rtol=1e-5, atol=1e-6)
