"""Which device to train on and how: auto picks CUDA, then Apple MPS, then the CPU."""

from __future__ import annotations

import torch

from dlstudio.train.faults import TrainingError


def resolve_device(requested: str) -> torch.device:
    """The device a setting names; TrainingError when it is not available here."""
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    device = torch.device(requested)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise TrainingError(f"device {requested!r}: CUDA is not available here (this "
                                f"PyTorch {torch.__version__} sees no NVIDIA GPU); use "
                                "auto or cpu")
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise TrainingError(f"device {requested!r}: this machine has {count} CUDA "
                                f"device(s), cuda:0 to cuda:{count - 1}")
    if device.type == "mps" and not _mps_available():
        raise TrainingError(f"device {requested!r}: Apple MPS is not available here; use "
                            "auto or cpu")
    return device


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def describe_device(device: torch.device) -> str:
    """For logs and the status bar, e.g. 'cuda:0 (NVIDIA H100)' or 'cpu (2 threads)'."""
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        return f"cuda:{index} ({torch.cuda.get_device_name(index)})"
    if device.type == "cpu":
        threads = torch.get_num_threads()
        return f"cpu ({threads} thread{'s' if threads != 1 else ''})"
    return str(device)


def autocast_dtype(device: torch.device, wanted: bool) -> torch.dtype | None:
    """Mixed precision runs on CUDA only: bfloat16 where the GPU has it (no loss
    scaling needed), else float16 with a GradScaler. None means full float32."""
    if not wanted or device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def release_memory(device: torch.device) -> None:
    """Hand cached blocks back after an out-of-memory error, so the UI can go on."""
    if device.type == "cuda":
        torch.cuda.empty_cache()
    elif device.type == "mps":
        torch.mps.empty_cache()


def memory_format_for(model: torch.nn.Module, device: torch.device) -> torch.memory_format:
    """Channels-last for image models on the CPU, else torch's default layout.

    On the CPU, torch's max pooling of a (N, C, H, W) tensor is a scalar loop: 3.9 ms
    for a 64×32×26×26 batch on a 2-core machine against 0.26 ms for its vectorised
    channels-last kernel, and oneDNN's convolutions also prefer channels-last. With the
    kernels' weights channels-last, convolutions hand channels-last maps to every layer
    after them, and `cnn-small` trains about 1.25× faster (bench/train_throughput.py).
    On CUDA the default layout is kept: there the choice depends on the GPU and on
    mixed precision, and nothing here measured it.
    """
    ranks = {p.dim() for p in model.parameters()}
    # Module.to(memory_format=channels_last) refuses a model that also has 5-D weights.
    images = 4 in ranks and 5 not in ranks
    return torch.channels_last if device.type == "cpu" and images \
        else torch.contiguous_format
