# Collected by tools/collect.py from notebooks/03_normalisation_attention.md: edit the chapter, not this file.
# tests/test_collect.py fails when the two differ.

"""Squeeze-and-excitation attention as the release uses it (Liu et al., CVPR 2019, Sec. 3.2)."""

from torch import Tensor, nn


class SELayer(nn.Module):
    """Channel gates from global averages: Linear(c, hidden), ReLU, Linear(hidden, c), sigmoid.

    The release calls ``hidden`` "reduction", but it is the hidden width, not a ratio.
    """

    def __init__(self, channels: int, hidden: int) -> None:
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(
            nn.Linear(channels, hidden),
            nn.ReLU(),
            nn.Linear(hidden, channels),
            nn.Sigmoid(),
        )

    def forward(self, x: Tensor) -> Tensor:
        gates = self.fc(self.avg_pool(x).flatten(1))
        return x * gates[:, :, None, None]


class SEBasicBlock(nn.Module):
    """SE-ResNet basic block: conv-(bn)-relu-conv-(bn), SE gates, then ``relu(out + x)``."""

    def __init__(self, channels: int, hidden: int, with_norm: bool = False) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)
        self.se = SELayer(channels, hidden)
        self.relu = nn.ReLU()
        self.bn1 = nn.BatchNorm2d(channels) if with_norm else nn.Identity()
        self.bn2 = nn.BatchNorm2d(channels) if with_norm else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.se(self.bn2(self.conv2(out)))
        return self.relu(out + x)
