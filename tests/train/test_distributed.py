"""Data-parallel training: two real gloo processes on the CPU over loopback (torchrun),
plus the pure helpers of dlstudio/train/distributed.py in one process."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import torch

from dlstudio.data import load_data
from dlstudio.train import load_checkpoint
from dlstudio.train.distributed import (
    DistContext,
    DistributedError,
    device_for,
    reduce_mean,
    setup_from_env,
    shard,
    teardown,
)

REPO = Path(__file__).resolve().parents[2]
XOR_TRAIN = 218  # builtin:xor with the default 15 % validation share


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def torchrun(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`torchrun --nproc_per_node 2 ARGS` from this interpreter, on loopback."""
    env = {**os.environ, "MASTER_ADDR": "127.0.0.1", "PYTHONPATH": str(REPO)}
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_PORT"):
        env.pop(name, None)
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2",
               "--master_addr", "127.0.0.1", "--master_port", str(free_port()), *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=240)


# ----- two processes ---------------------------------------------------------------------
def test_cli_train_under_torchrun(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = torchrun("-m", "dlstudio", "train", "--template", "xor", "--epochs", "30",
                    "--device", "cpu", "--out", str(out), "--json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)  # exactly one object: only rank 0 prints
    assert len(result["epochs"]) == 30
    assert result["final"]["accuracy"] == 1.0
    assert result["epochs"][-1]["train"]["loss"] < result["epochs"][0]["train"]["loss"] / 5
    # Each rank trains on half the 218 training samples (rank 0 says so, once).
    assert done.stderr.count("training on cpu") == 1
    assert f"{XOR_TRAIN // 2} samples in" in done.stderr
    assert done.stderr.count("epoch 30/30") == 1
    # One set of files, written by rank 0, and the checkpoint predicts XOR.
    assert sorted(p.name for p in out.iterdir()) == ["best.pt", "history.json", "last.pt"]
    assert Path(result["checkpoint"]).resolve().parent == out.resolve()
    model = load_checkpoint(out / "last.pt").build_model()
    corners = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    with torch.no_grad():
        assert (model(corners).flatten() > 0.5).tolist() == [False, True, True, False]


DRIVER = textwrap.dedent("""
    import json, os, sys
    import torch
    from dlstudio.data import load_data
    from dlstudio.graph.templates import build_template
    from dlstudio.train import Trainer, TrainSettings

    out = sys.argv[1]
    rank = int(os.environ["RANK"])
    data = load_data("builtin:xor", seed=0)
    trainer = Trainer(build_template("xor"), data,
                      TrainSettings(epochs=3, batch_size=16, lr=0.05, device="cpu"),
                      out_dir=out)
    seen = []  # every training sample this rank's model received, per epoch
    def record(module, inputs, output):
        if module.training:
            seen[-1].extend(inputs[0].tolist())
    trainer.model.fc1.register_forward_hook(record)
    trainer.events.epoch_ended.connect(lambda stats: seen.append([]))
    seen.append([])
    result = trainer.run()
    torch.save(trainer.model.state_dict(), f"{out}/rank{rank}.weights")
    with open(f"{out}/rank{rank}.json", "w") as stream:
        json.dump({"seen": seen[:-1], "final": result.final}, stream)
""")


def test_ranks_share_the_data_and_end_with_the_same_weights(tmp_path: Path) -> None:
    out = tmp_path / "run"
    (tmp_path / "driver.py").write_text(DRIVER, encoding="utf-8")
    done = torchrun(str(tmp_path / "driver.py"), str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]
    train_rows = {tuple(row) for row in load_data("builtin:xor", seed=0).train.x.tolist()}
    for epoch in range(3):
        mine, theirs = (ranks[r]["seen"][epoch] for r in (0, 1))
        assert len(mine) == len(theirs) == XOR_TRAIN // 2  # an equal half each
        assert {tuple(row) for row in mine}.isdisjoint(tuple(row) for row in theirs)
        assert {tuple(row) for row in mine + theirs} == train_rows
    # The epoch metrics are reduced over both ranks, so they agree.
    assert ranks[0]["final"] == ranks[1]["final"]
    weights = [torch.load(out / f"rank{r}.weights", weights_only=True) for r in (0, 1)]
    saved = load_checkpoint(out / "last.pt").model_state
    assert weights[0].keys() == weights[1].keys() == saved.keys()
    for name in saved:
        assert torch.equal(weights[0][name], weights[1][name]), name
        assert torch.equal(weights[0][name], saved[name]), name
    assert not any(torch.equal(saved[name], torch.zeros_like(saved[name]))
                   for name in saved)


# ----- one process -----------------------------------------------------------------------
@pytest.mark.parametrize("count", [0, 1, 7, 10, 218])
@pytest.mark.parametrize("world", [2, 3, 4])
def test_shard_gives_equal_disjoint_shares_covering_everything(count: int, world: int) -> None:
    order = torch.randperm(count, generator=torch.Generator().manual_seed(1))
    shares = [shard(order, DistContext(rank, world, rank)) for rank in range(world)]
    assert len({len(share) for share in shares}) == 1
    if count == 0:
        return
    assert len(shares[0]) == -(-count // world)
    assert set(torch.cat(shares).tolist()) == set(order.tolist())
    assert len(torch.cat(shares)) - count < world  # padding: fewer than one per rank


def test_single_process_helpers_change_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WORLD_SIZE", "RANK", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    ctx = setup_from_env("cpu")
    assert ctx == DistContext() and ctx.is_main and not ctx.active
    order = torch.arange(5)
    assert shard(order, ctx) is order
    values = {"loss": 0.5, "count": 3.0}
    assert reduce_mean(values, ctx, torch.device("cpu")) == values
    assert device_for(ctx, "cpu") == torch.device("cpu")
    teardown(ctx)  # nothing to leave


def test_cuda_ranks_take_their_local_gpu() -> None:
    ctx = DistContext(rank=3, world_size=4, local_rank=1)
    assert device_for(ctx, "cuda") == torch.device("cuda", 1)
    assert device_for(ctx, "cuda:0") == torch.device("cuda", 1)
    assert device_for(DistContext(), "cuda:0") == torch.device("cuda", 0)


def test_impossible_launches_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORLD_SIZE", "2")
    monkeypatch.setenv("RANK", "0")
    with pytest.raises(DistributedError, match="MPS"):
        setup_from_env("mps")
    monkeypatch.setenv("WORLD_SIZE", "two")
    with pytest.raises(DistributedError, match="WORLD_SIZE"):
        setup_from_env("cpu")
    if torch.cuda.device_count() < 2:
        monkeypatch.setenv("WORLD_SIZE", "2")
        monkeypatch.setenv("LOCAL_RANK", "5")
        with pytest.raises(DistributedError, match="GPU 5"):
            setup_from_env("cuda")
