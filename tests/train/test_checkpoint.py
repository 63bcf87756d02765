"""Checkpoints: self-contained, read with weights_only=True, written atomically."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
import torch

from dlstudio.data import DataBundle
from dlstudio.train import CheckpointError, Trainer, TrainSettings, load_checkpoint
from dlstudio.train.checkpoint import save_checkpoint


@pytest.fixture
def trained(small_digits: DataBundle, mlp, settings: Callable[..., TrainSettings],
            tmp_path) -> Trainer:
    trainer = Trainer(mlp(dropout=0.2), small_digits, settings(epochs=2), out_dir=tmp_path)
    trainer.result = trainer.run()
    return trainer


def test_a_checkpoint_holds_everything_and_loads_with_weights_only(
        trained: Trainer, small_digits: DataBundle, tmp_path) -> None:
    raw = torch.load(tmp_path / "last.pt", weights_only=True)
    assert raw["format"] == "dlstudio.checkpoint" and raw["epoch"] == 2
    checkpoint = load_checkpoint(tmp_path / "last.pt")
    assert checkpoint.graph.to_dict() == trained.graph.to_dict()
    assert checkpoint.settings == trained.settings
    assert checkpoint.data_info == small_digits.info  # normalisation, class names
    assert [s.train["loss"] for s in checkpoint.history] == \
        [s.train["loss"] for s in trained.result.history]
    assert checkpoint.optimizer_state["state"]  # Adam's moments
    assert checkpoint.metrics == trained.result.history[-1].val
    model = checkpoint.build_model()
    assert not model.training
    x = small_digits.val.inputs()
    trained.model.eval()
    assert torch.equal(model(x), trained.model(x))


def test_the_run_folder_holds_best_last_and_history(trained: Trainer, tmp_path) -> None:
    history = json.loads((tmp_path / "history.json").read_text())
    assert [e["epoch"] for e in history["epochs"]] == [1, 2]
    assert history["monitor"] == "val_loss"
    best = load_checkpoint(tmp_path / "best.pt")
    assert best.epoch == history["best_epoch"]
    assert trained.result.checkpoint == str(tmp_path / "last.pt")
    assert not list(tmp_path.glob("*.tmp"))


def test_a_failed_write_leaves_the_old_checkpoint_whole(
        trained: Trainer, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "last.pt"
    before = path.read_bytes()
    checkpoint = load_checkpoint(path)
    real_save = torch.save

    def save_half_then_fail(obj: object, stream) -> None:  # a stop or crash mid-write
        real_save(obj, stream)
        stream.truncate(100)
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", save_half_then_fail)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, graph=checkpoint.graph, settings=checkpoint.settings,
                        data_info=checkpoint.data_info, model_state=checkpoint.model_state,
                        optimizer_state=checkpoint.optimizer_state, history=[], epoch=0)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.pt", "history.json",
                                                          "last.pt"]


def test_damaged_and_foreign_files_are_refused_by_name(tmp_path) -> None:
    missing = tmp_path / "missing.pt"
    with pytest.raises(CheckpointError, match="missing.pt: no checkpoint file"):
        load_checkpoint(missing)
    cut = tmp_path / "cut.pt"
    torch.save({"format": "dlstudio.checkpoint"}, cut)
    cut.write_bytes(cut.read_bytes()[:40])
    with pytest.raises(CheckpointError, match="cut.pt: not a DL Studio checkpoint, or damaged"):
        load_checkpoint(cut)
    plain = tmp_path / "weights.pt"
    torch.save({"fc.weight": torch.zeros(2, 2)}, plain)
    with pytest.raises(CheckpointError, match="weights.pt: not a DL Studio checkpoint"):
        load_checkpoint(plain)


def test_a_missing_field_is_named(trained: Trainer, tmp_path) -> None:
    raw = torch.load(tmp_path / "last.pt", weights_only=True)
    del raw["optimizer_state"]
    torch.save(raw, tmp_path / "broken.pt")
    with pytest.raises(CheckpointError, match="field 'optimizer_state' is missing"):
        load_checkpoint(tmp_path / "broken.pt")
    raw = torch.load(tmp_path / "last.pt", weights_only=True)
    raw["settings"] = json.dumps({"epochs": -1})
    torch.save(raw, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match="'settings'.*'epochs'"):
        load_checkpoint(tmp_path / "bad.pt")


def test_code_in_a_checkpoint_is_never_run(tmp_path) -> None:
    class Payload:
        def __reduce__(self):  # what a malicious pickle does
            return (exec, ("raise SystemExit('ran')",))

    path = tmp_path / "evil.pt"
    torch.save({"format": "dlstudio.checkpoint", "x": Payload()}, path)
    with pytest.raises(CheckpointError, match="evil.pt"):
        load_checkpoint(path)


@pytest.mark.parametrize("field", ["format", "version"])
def test_a_tensor_where_format_or_version_belongs_is_refused(
        trained: Trainer, tmp_path, field: str) -> None:
    """Found by fuzzing: comparing a tensor with the expected text raised RuntimeError."""
    raw = torch.load(tmp_path / "last.pt", weights_only=True)
    raw[field] = torch.zeros(0)
    torch.save(raw, tmp_path / "odd.pt")
    with pytest.raises(CheckpointError, match="odd.pt: .*(format|version of type Tensor)"):
        load_checkpoint(tmp_path / "odd.pt")


@pytest.mark.parametrize(("field", "value", "words"), [
    ("model_state", {"fc1.weight": "text"}, "entry 'fc1.weight' is a str, not a tensor"),
    ("rng_state", {"torch": torch.zeros(3)}, "'rng_state' does not hold random"),
    ("metrics", '{"loss": 1e999}', "'metrics': the number 1e999 is too large"),
    ("history", "[" * 100 + "]" * 100, "'history' is nested too deeply"),
    # Found probing resumes: these ended a resumed run as "training failed in epoch 0".
    ("optimizer_state", {"state": 5, "param_groups": "x"}, "'optimizer_state' is not an "
                                                             "optimizer's state"),
    ("schedule_state", '{"factor": "abc", "best": null, "bad_epochs": 0}',
     "'schedule_state' should hold 'factor' \\(a number\\)"),
    ("schedule_state", '{"x": 1}', "'schedule_state' should hold"),
])
def test_damaged_members_are_named(trained: Trainer, tmp_path, field: str, value: object,
                                   words: str) -> None:
    raw = torch.load(tmp_path / "last.pt", weights_only=True)
    raw[field] = value
    torch.save(raw, tmp_path / "damaged.pt")
    with pytest.raises(CheckpointError, match=words):
        load_checkpoint(tmp_path / "damaged.pt")


def test_a_negative_epoch_is_refused(trained: Trainer, tmp_path) -> None:
    raw = torch.load(tmp_path / "last.pt", weights_only=True)
    raw["epoch"] = -3
    torch.save(raw, tmp_path / "negative.pt")
    with pytest.raises(CheckpointError, match="negative.pt: field 'epoch' is -3, below 0"):
        load_checkpoint(tmp_path / "negative.pt")


def test_data_facts_that_do_not_fit_the_graph_are_refused_when_the_model_is_built(
        trained: Trainer, tmp_path) -> None:
    """Found by hand after fuzzing: facts saying 1×9×9 images made `dlstudio predict` end
    in a traceback from the first Dense layer."""
    raw = torch.load(tmp_path / "last.pt", weights_only=True)
    facts = json.loads(raw["data_info"])
    facts["input_shape"] = [1, 9, 9]
    raw["data_info"] = json.dumps(facts)
    torch.save(raw, tmp_path / "facts.pt")
    checkpoint = load_checkpoint(tmp_path / "facts.pt")
    with pytest.raises(CheckpointError, match=r"facts.pt: field 'data_info' does not fit the "
                                              r"graph stored with it: .*image"):
        checkpoint.build_model()
