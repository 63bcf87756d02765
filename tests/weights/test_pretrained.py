"""Fetching published weights from a local HTTP server: progress, a cache hit on the
second call, a bad hash, no server, an interrupted download that the next try resumes."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
import torch

from dlstudio.weights import (
    PRETRAINED,
    WeightsError,
    cache_dir,
    describe_source,
    fetch_pretrained,
    pretrained_names,
    resolve_weights,
)

from .conftest import TvVGG, WeightsServer, publish


def test_the_registry_names_torchvisions_files() -> None:
    assert pretrained_names() == ["vgg16", "vgg16-transfer", "resnet18"]
    assert PRETRAINED["vgg16-transfer"] is PRETRAINED["vgg16"]
    assert PRETRAINED["vgg16"].url == "https://download.pytorch.org/models/vgg16-397923af.pth"
    assert PRETRAINED["resnet18"].hash_prefix == "f37072fd"


def test_download_reports_progress_and_is_cached(weights_server: WeightsServer,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 small_tv_vgg: TvVGG) -> None:
    data = publish(weights_server, monkeypatch, "vgg16", small_tv_vgg.state_dict())
    seen: list[tuple[int, int]] = []
    path = fetch_pretrained("vgg16", lambda done, total: seen.append((done, total)))
    assert path.parent == cache_dir() and path.read_bytes() == data
    assert seen[-1] == (len(data), len(data)) and seen[0][0] < len(data)
    assert not list(path.parent.glob("*.part"))
    requests = len(weights_server.requests)
    state = resolve_weights("pretrained:vgg16")  # from the cache: no request
    assert len(weights_server.requests) == requests
    assert torch.equal(state["features.0.weight"], small_tv_vgg.state_dict()["features.0.weight"])


def test_a_bad_hash_keeps_no_file(weights_server: WeightsServer,
                                  monkeypatch: pytest.MonkeyPatch, small_tv_vgg: TvVGG) -> None:
    publish(weights_server, monkeypatch, "vgg16", small_tv_vgg.state_dict())
    name = PRETRAINED["vgg16"].file
    weights_server.files[name] = b"something else" + weights_server.files[name]
    with pytest.raises(WeightsError) as caught:
        fetch_pretrained("vgg16")
    message = str(caught.value)
    assert "cannot download the vgg16 weights" in message and "SHA-256 is" in message
    assert f"expected {PRETRAINED['vgg16'].hash_prefix}..." in message and "\n" not in message
    assert "the download was deleted" in message
    assert not list(cache_dir().iterdir())


def test_no_server_is_a_clear_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("DLSTUDIO_WEIGHTS_URL", f"http://127.0.0.1:{port}/")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(WeightsError, match=r"cannot download the resnet18 weights: .*"
                                           r"unreachable .*put resnet18-f37072fd.pth in"):
        fetch_pretrained("resnet18")


def test_a_missing_file_on_the_server(weights_server: WeightsServer) -> None:
    with pytest.raises(WeightsError, match="the server answered 404"):
        fetch_pretrained("resnet18")


def test_an_interrupted_download_resumes(weights_server: WeightsServer,
                                         monkeypatch: pytest.MonkeyPatch,
                                         small_tv_vgg: TvVGG) -> None:
    data = publish(weights_server, monkeypatch, "vgg16-transfer", small_tv_vgg.state_dict())
    weights_server.cut_at = len(data) // 2
    with pytest.raises(WeightsError, match="connection broke"):
        fetch_pretrained("vgg16-transfer")
    target = cache_dir() / PRETRAINED["vgg16-transfer"].file
    assert not target.exists()  # only the .part: nothing looks complete
    assert target.with_name(target.name + ".part").stat().st_size == len(data) // 2
    assert fetch_pretrained("vgg16-transfer").read_bytes() == data
    assert weights_server.requests[-1][1] == f"bytes={len(data) // 2}-"


def test_unknown_name() -> None:
    with pytest.raises(WeightsError, match="no published weights for 'mlp'; pretrained "
                                           "starts exist for vgg16, vgg16-transfer, resnet18"):
        fetch_pretrained("mlp")


def test_reports_name_the_published_file() -> None:
    assert describe_source("pretrained:vgg16") == "pretrained vgg16-397923af.pth"
    assert describe_source("pretrained:vgg16-transfer") == \
        "pretrained vgg16-397923af.pth for vgg16-transfer"
    assert describe_source("/somewhere/mine.pt") == "mine.pt"
