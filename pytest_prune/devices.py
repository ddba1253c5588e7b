"""Device names from the command line or the caller, checked for availability."""
from __future__ import annotations

from typing import List


def parse_device_list(spec: str) -> List[str]:
    return [d.strip() for d in spec.split(",") if d.strip()]


def resolve_device(device: object) -> "torch.device":  # noqa: F821 - torch imported lazily
    """Return a usable torch.device or raise DeviceUnavailable naming it."""
    import torch

    from .errors import DeviceUnavailable, InvalidOption

    if device is None:
        return torch.device("cpu")
    try:
        dev = torch.device(device)  # type: ignore[arg-type]
    except (RuntimeError, TypeError) as exc:
        # A typo is the test's mistake, not a missing device: it must not turn into a skip.
        raise InvalidOption(f"device={device!r} is not a device name ({exc})") from None
    if dev.type == "cpu":
        return dev
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceUnavailable(str(device), "CUDA is not available on this machine")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise DeviceUnavailable(
                str(device), f"only {torch.cuda.device_count()} CUDA device(s) present"
            )
        return dev
    if dev.type == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise DeviceUnavailable(str(device), "MPS is not available on this machine")
        return dev
    backend = getattr(torch, dev.type, None)
    is_available = getattr(backend, "is_available", None)
    if callable(is_available) and is_available():
        return dev
    raise DeviceUnavailable(str(device), f"no {dev.type} backend available")
