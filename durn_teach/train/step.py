# Collected by tools/collect.py from notebooks/10_training.md: edit the chapter, not this file.
# tests/test_collect.py fails when the two differ.

"""The training step of the paper's settings (Liu et al., CVPR 2019, Sec. 5).

Adam with the release's constants, the learning-rate schedules stepped once per epoch, the
Gaussian setting's fresh noise, and one optimisation step with optional mixed precision.
"""

from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn
from torch.optim.lr_scheduler import CosineAnnealingLR, LRScheduler, MultiStepLR


class NonFiniteLoss(FloatingPointError):
    """The loss became NaN or infinite: the step was not taken."""


def make_optimizer(
    model: nn.Module,
    lr: float,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-8,
    weight_decay: float = 0.0,
) -> torch.optim.Adam:
    """Adam over all of the network's parameters, with the release's constants (Sec. 5)."""
    return torch.optim.Adam(model.parameters(), lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)


def make_scheduler(
    optimizer: torch.optim.Optimizer,
    schedule: str,
    epochs: int,
    milestones: Sequence[int] = (),
    gamma: float = 0.1,
) -> LRScheduler:
    """The learning-rate schedule, stepped once per epoch.

    ``"step"``: multiply by ``gamma`` at each milestone epoch; ``"cosine"``: cosine annealing
    to zero over ``epochs``; ``"constant"``: never changes.
    """
    if schedule == "step":
        return MultiStepLR(optimizer, milestones=list(milestones), gamma=gamma)
    if schedule == "cosine":
        return CosineAnnealingLR(optimizer, T_max=epochs)
    if schedule == "constant":
        return MultiStepLR(optimizer, milestones=[], gamma=gamma)
    raise ValueError(f"schedule must be 'step', 'cosine' or 'constant', got {schedule!r}")


def add_gaussian_noise(
    clean: Tensor,
    sigmas: Sequence[float],
    generator: torch.Generator | None = None,
    replicas: int = 1,
    rank: int = 0,
) -> Tensor:
    """``clean + sigma / 255 * n``, sigma drawn per image from ``sigmas``, not clipped (Sec. 5.1).

    With ``replicas`` processes each holding a share of the batch, every process draws the
    noise of the whole batch and keeps its own rows (``rank::replicas``), so that the processes
    together add exactly the noise one process would.
    """
    device = generator.device if generator is not None else clean.device
    count = clean.shape[0] * replicas
    choice = torch.randint(len(sigmas), (count,), generator=generator, device=device)
    sigma = torch.tensor(sigmas, dtype=clean.dtype, device=device)[choice] / 255
    noise = torch.randn((count, *clean.shape[1:]), generator=generator, device=device, dtype=clean.dtype)
    noise = sigma.view(-1, 1, 1, 1) * noise
    return clean + noise[rank::replicas].to(clean.device)


def train_step(
    model: nn.Module,
    loss_fn: Callable[[Tensor, Tensor], Tensor],
    optimizer: torch.optim.Optimizer,
    degraded: Tensor,
    clean: Tensor,
    scaler: torch.amp.GradScaler | None = None,
    autocast: torch.dtype | None = None,
) -> Tensor:
    """One optimisation step: restore the batch, measure the loss, back-propagate, update.

    With ``autocast`` (float16 on CUDA, bfloat16 on a CPU) the forward pass runs in that type
    under autocast; an enabled ``scaler`` scales the loss against float16's underflow. The loss
    itself is computed in float32. A NaN or infinite loss raises :class:`NonFiniteLoss` before
    anything is updated. Returns the loss, detached.
    """
    optimizer.zero_grad(set_to_none=True)
    with torch.autocast(degraded.device.type, dtype=autocast, enabled=autocast is not None):
        restored = model(degraded)
    loss = loss_fn(restored.float(), clean.float())
    if not torch.isfinite(loss):
        raise NonFiniteLoss(f"the loss is {loss.item()}")
    if scaler is not None and scaler.is_enabled():
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    else:
        loss.backward()
        optimizer.step()
    return loss.detach()
