"""Choosing the device a run trains on."""

from __future__ import annotations

import torch

from core.config import ConfigError, TrainConfig


def cuda_available() -> bool:
    """True when torch sees a usable CUDA device."""
    try:
        return torch.cuda.is_available()
    except Exception:  # a broken driver install must read as "no CUDA", not a crash
        return False


def resolve_device(config: TrainConfig) -> torch.device:
    """The device to train on; `auto` takes CUDA only where it is faster for this engine.

    The lecture engine is launch-bound on a GPU (slower than a CPU, DESIGN §5), so `auto`
    keeps it on the CPU; the fused engine captures its step in a CUDA graph and takes the GPU.
    """
    if config.device == "cpu":
        return torch.device("cpu")
    if config.device == "cuda":
        check_cuda_requested()
        return torch.device("cuda")
    if cuda_available() and config.engine != "lecture":
        return torch.device("cuda")
    return torch.device("cpu")


def check_cuda_requested() -> None:
    """Raise ConfigError (one line, exit 2) when --device cuda is asked for without CUDA."""
    if not cuda_available():
        raise ConfigError("--device cuda: no CUDA device is available on this machine (use --device cpu or auto)")


def use_training_threads(device: torch.device) -> None:
    """One intra-op thread for CPU training and evaluation.

    This net is too small to gain from more (DESIGN §5), the second core is the UI's, and
    two OpenMP threads on a busy 2-core machine spin against each other: a 0.2 s eval was
    seen taking over 3 s (and a test 110 s) while another process held the other core.
    """
    if device.type == "cpu":
        torch.set_num_threads(1)
