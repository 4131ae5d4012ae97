"""Choosing the device a run trains on."""

from __future__ import annotations

import os

import torch

from makemore_tui.core.config import ConfigError, TrainConfig


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


# float32 bytes a parameter costs while training: itself, its gradient, the update's temporary,
# and the built model's copy until the engine stacks it (the fused engine; the lecture's is less).
BYTES_PER_PARAMETER = 4 * 4
EVAL_CHUNK_ROWS = 2000  # core/evaluate.py evaluates in chunks of this many examples


def training_bytes(config: TrainConfig, vocab_size: int) -> int:
    """About how many bytes one variant of `config` needs to train and evaluate (an upper estimate).

    Parameters: the embedding C (vocab, embd), each Linear (fan_in, fan_out), the BatchNorm gains
    and biases. Activations: per example, embcat plus four (rows, hidden) tensors per layer
    (pre-activation, activation and their gradients) and the logits, for the larger of a
    minibatch and an evaluation chunk.
    """
    fan_in = config.embd * config.block_size
    widths = [config.hidden] * config.depth + [vocab_size]
    inputs = [fan_in] + [config.hidden] * config.depth
    parameters = vocab_size * config.embd + sum(i * o + 2 * o for i, o in zip(inputs, widths))
    per_row = fan_in + 4 * config.hidden * config.depth + 3 * vocab_size
    rows = max(config.batch_size, EVAL_CHUNK_ROWS)
    return parameters * BYTES_PER_PARAMETER + rows * per_row * 4


def device_memory_bytes(device: torch.device) -> int | None:
    """The device's whole memory in bytes (the GPU's, or this machine's RAM); None when unknown."""
    try:
        if device.type == "cuda":
            return torch.cuda.mem_get_info(device)[1]
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, RuntimeError, AttributeError):
        return None


def check_fits(configs: list[TrainConfig], vocab_size: int, device: torch.device) -> None:
    """Raise ConfigError (one line, exit 2) when the variants cannot fit in the device's memory.

    Said before anything is allocated: a net of 10^10 parameters would otherwise spend a minute
    drawing its first weights and then fail inside torch's allocator.
    """
    total = device_memory_bytes(device)
    needed = sum(training_bytes(config, vocab_size) for config in configs)
    if total is None or needed <= total:
        return
    where = "the GPU has" if device.type == "cuda" else "this machine has"
    raise ConfigError(
        f"this net needs about {_gigabytes(needed)} to train and {where} {_gigabytes(total)}: "
        "lower --embd, --hidden, --depth or --batch-size" + (", or compare fewer variants" if len(configs) > 1 else "")
    )


def _gigabytes(n: int) -> str:
    return f"{n / 2**30:,.1f} GiB" if n >= 2**30 else f"{n / 2**20:,.0f} MiB"
