"""Networks laid out as torchvision lays them out (same module names, so the same
state_dict keys: `features.0.weight`, `layer2.0.downsample.0.weight`, `fc.bias`), written
in plain PyTorch, and small DL Studio graphs with the template's node names."""

from __future__ import annotations

import hashlib
import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import torch
from torch import nn

from dlstudio.graph import Graph
from dlstudio.graph.templates.builder import Builder
from dlstudio.weights import PRETRAINED, URL_VARIABLE, PretrainedWeights

FULL_VGG = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))
SMALL_VGG = ((4, 2), (8, 2), (8, 3), (8, 3), (8, 3))


class TvVGG(nn.Module):
    def __init__(self, blocks=FULL_VGG, hidden=4096, classes=1000, pooled=7) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = 3
        for filters, convs in blocks:
            for _ in range(convs):
                layers += [nn.Conv2d(channels, filters, 3, padding=1), nn.ReLU(inplace=True)]
                channels = filters
            layers.append(nn.MaxPool2d(2, 2))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((pooled, pooled))
        self.classifier = nn.Sequential(
            nn.Linear(channels * pooled * pooled, hidden), nn.ReLU(True), nn.Dropout(),
            nn.Linear(hidden, hidden), nn.ReLU(True), nn.Dropout(),
            nn.Linear(hidden, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class BasicBlock(nn.Module):
    def __init__(self, inplanes: int, planes: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class TvResNet(nn.Module):
    def __init__(self, widths=(64, 128, 256, 512), classes=1000) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, widths[0], 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        channels = widths[0]
        for index, planes in enumerate(widths, start=1):
            stride = 1 if planes == channels else 2
            setattr(self, f"layer{index}", nn.Sequential(BasicBlock(channels, planes, stride),
                                                         BasicBlock(planes, planes, 1)))
            channels = planes
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(channels, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        for index in range(1, 5):
            x = getattr(self, f"layer{index}")(x)
        return self.fc(torch.flatten(self.avgpool(x), 1))


def small_vgg_graph(size: int = 64, head: tuple[int, ...] = (16, 16, 5),
                    frozen_base: bool = False) -> Graph:
    """The vgg16 template's node names on narrow layers; `head` gives the Dense units
    (three as in vgg16, two as in vgg16-transfer)."""
    b = Builder()
    b.add("Input", "image", kind="image", shape=(3, size, size))
    for block, (filters, convs) in enumerate(SMALL_VGG, start=1):
        for conv in range(1, convs + 1):
            b.add("Conv2d", f"block{block}_conv{conv}", filters=filters, kernel_size=3,
                  padding=1, trainable=not frozen_base)
            b.add("ReLU", f"block{block}_relu{conv}")
        b.add("MaxPool2d", f"block{block}_pool", kernel_size=2)
    b.add("Flatten", "flatten")
    for index, units in enumerate(head, start=1):
        b.add("Dense", f"fc{index}", units=units)
        if index < len(head):
            b.add("ReLU", f"fc{index}_relu")
    b.classifier_end()
    return b.graph


@pytest.fixture
def small_tv_vgg() -> TvVGG:
    torch.manual_seed(1)
    return TvVGG(SMALL_VGG, hidden=16, classes=5, pooled=2).eval()


# ----- a local weights server (tests never use the network) ---------------------------------
class WeightsServer(ThreadingHTTPServer):
    """Serves `files` by name, honours Range, counts requests, and can cut the next
    response after `cut_at` bytes (an interrupted download)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.cut_at: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/models"


class _Handler(BaseHTTPRequestHandler):
    server: WeightsServer

    def do_GET(self) -> None:  # noqa: N802 (the http.server API)
        name = self.path.removeprefix("/models/")
        self.server.requests.append((name, self.headers.get("Range")))
        data = self.server.files.get(name)
        if data is None:
            self.send_error(404, "Not Found")
            return
        start = int(self.headers["Range"].removeprefix("bytes=").rstrip("-")) \
            if self.headers.get("Range") else 0
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        end = len(data)
        if self.server.cut_at is not None:
            end, self.server.cut_at = self.server.cut_at, None
            self.close_connection = True
        self.wfile.write(data[start:end])

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def weights_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path
                   ) -> Iterator[WeightsServer]:
    """The server, named by DLSTUDIO_WEIGHTS_URL, with torch.hub's cache in tmp_path."""
    httpd = WeightsServer()
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    monkeypatch.setenv(URL_VARIABLE, httpd.url)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch-home"))
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def publish(server: WeightsServer, monkeypatch: pytest.MonkeyPatch, template: str,
            state: dict[str, torch.Tensor], architecture: str = "vgg16") -> bytes:
    """Serve `state` as `template`'s published file, named with its real hash prefix
    as torchvision names its files."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    data = buffer.getvalue()
    name = f"{architecture}-{hashlib.sha256(data).hexdigest()[:8]}.pth"
    monkeypatch.setitem(PRETRAINED, template,
                        PretrainedWeights(name, architecture, f"test {architecture}"))
    server.files[name] = data
    return data
