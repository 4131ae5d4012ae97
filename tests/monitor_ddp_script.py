"""Run by tests/test_core_monitor_ddp.py under `torchrun --standalone --nproc_per_node 2` (CPU, gloo).

Each rank trains the same DDP net; rank 0 asks its own control socket to stop at step STOP_AT (as a
viewer would), and to pause (refused under distributed). Every rank writes the step it left at to
`LOG.rank<R>`."""

from __future__ import annotations

import sys

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from makemore_tui import Monitor
from makemore_tui.core.control import ControlClient, Refused

STOP_AT = 7


def main(log: str) -> None:
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    torch.manual_seed(0)
    model = DistributedDataParallel(
        nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 2))
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    X = torch.randn(64, 8, generator=torch.Generator().manual_seed(rank))
    Y = torch.arange(64) % 2
    left = None
    with Monitor(model, run_log=log, every=5, optimizer=optimizer, control=True) as monitor:
        for step in range(100):
            loss = nn.functional.cross_entropy(model(X), Y)
            optimizer.zero_grad()
            loss.backward()
            monitor.step(loss)
            optimizer.step()
            if rank == 0 and step == STOP_AT:
                viewer = ControlClient(monitor.server.path)
                try:
                    viewer.send("pause")
                    raise SystemExit("pause was not refused under torch.distributed")
                except Refused as refusal:
                    assert "torch.distributed" in str(refusal), refusal
                viewer.send("stop")
                viewer.close()
            if monitor.stop_requested:
                left = step
                break
    with open(f"{log}.rank{rank}", "w") as file:
        file.write(str(left))
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1])
