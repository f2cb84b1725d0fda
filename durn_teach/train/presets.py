"""The paper's seven training settings as named presets, a quick scale of each, and the CPU-sized
settings of the shipped checkpoints.

Every preset reproduces the authors' setting exactly by default (Liu et al., CVPR 2019, Sec. 5
and the release's training scripts): network, data, batch, learning rate, epochs, crop,
schedule, loss, Adam's betas, and the Gaussian setting's ten steps per batch with fresh noise.
``quick=True`` gives a run of a few minutes on a CPU or a free Colab GPU, on the built-in
images when the dataset is absent; each preset's docstring says what the quick scale changes.

Where the loop that runs these settings (``durn_teach.train.fit``) departs from the release's
training scripts, as a line-by-line comparison found them; each is stated, none is hidden:

* Step decay: ``MultiStepLR`` steps at the end of each epoch, so the rate falls for the epoch
  after milestone ``m``; the release's ``if epoch in [...]`` test lowers it one epoch later.
  The cosine schedule of rain streaks is shifted by one epoch in the same way, and the
  release's first rain-streak script never stepped its scheduler at all (a constant rate).
* Order: the loop draws a new order of the training images every epoch (from the seed and the
  epoch); the release's loaders use ``shuffle=False`` and see the list order every epoch,
  with the random crops (and variants, flips, noise) as their only randomness.
* Precision: float32 by default, as the release; ``amp=True`` (``--amp``) is the named option
  for float16 on GPUs and bfloat16 on CPUs.
* BatchNorm's initial weights: 1 in today's PyTorch; the PyTorch 0.3 the release ran drew them
  uniformly from [0, 1]. This changes from-scratch runs of DuRN-P, DuRN-S and DuRN-S-P (their
  BatchNorm layers); weights loaded from a checkpoint are unaffected. ``norm_init="release"``
  (``--norm-init release``) starts them as the release did.
* DCPDN: 256x256 crops, as the paper's settings summary gives; the release's DCPDN loader feeds
  whole images, uncropped.
* Raindrop stage 2 starts a new Adam (fresh moments) from the stage-1 weights; the release's
  comments read as a continuation of stage 1's optimiser.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from durn_teach.cross_task import BLOCK_TYPES

Schedule = Literal["step", "cosine", "constant"]
LossName = Literal["l2", "ssim_l1", "l1"]
NormInit = Literal["pytorch", "release"]


@dataclass(frozen=True)
class Preset:
    """One training setting: everything the loop needs to reproduce it.

    ``sigmas`` and ``local_steps`` are applied by the loop (fresh noise, several steps per
    batch); ``norm_init="release"`` starts a from-scratch run's BatchNorm weights uniform in
    [0, 1), as the release's PyTorch 0.3 did (``durn_teach.models.release_norm_init``; the
    default, ``"pytorch"``, starts them at 1); ``hflip`` and ``resize`` by the data
    (``durn_teach.data``'s DID-MDN and DDN flip their training crops, GoPro resizes; the
    built-in stand-ins flip too); ``dihedral`` turns each training pair by one of the square's
    eight symmetries (flips and 90-degree rotations, drawn uniformly; not in the paper). ``init`` names the
    preset whose weights this one starts from. ``model_options`` go to ``build_model`` (for
    instance ``{"in_channels": 3}``) and ``data_options`` to the dataset; both are empty in the
    paper's settings. ``block`` trains the network with another DuRB type, for the paper's
    cross-task study (Table 5; ``build_model``'s ``block``); ``None``, the release's blocks.
    """

    name: str
    task: str
    network: str
    data: str
    batch: int
    lr: float
    epochs: int
    crop: int
    schedule: Schedule
    milestones: tuple[int, ...] = ()
    gamma: float = 0.1
    loss: LossName = "ssim_l1"
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    weight_decay: float = 0.0
    local_steps: int = 1
    sigmas: tuple[float, ...] = ()
    hflip: bool = False
    dihedral: bool = False
    resize: tuple[int, int] | None = None
    init: str | None = None
    checkpoint_every: int = 10
    epoch_size: int | None = None
    quick: bool = False
    model_options: dict[str, Any] = field(default_factory=dict)
    data_options: dict[str, Any] = field(default_factory=dict)
    norm_init: NormInit = "pytorch"
    block: str | None = None

    def __post_init__(self) -> None:
        if self.schedule not in ("step", "cosine", "constant"):
            raise ValueError(f"schedule must be 'step', 'cosine' or 'constant', got {self.schedule!r}")
        if self.loss not in ("l2", "ssim_l1", "l1"):
            raise ValueError(f"loss must be 'l2', 'ssim_l1' or 'l1', got {self.loss!r}")
        if self.norm_init not in ("pytorch", "release"):
            raise ValueError(f"norm_init must be 'pytorch' or 'release', got {self.norm_init!r}")
        if self.block is not None and self.block not in BLOCK_TYPES:
            raise ValueError(f"block must be one of {', '.join(BLOCK_TYPES)} or None, got {self.block!r}")
        for label in ("batch", "epochs", "crop", "local_steps", "checkpoint_every"):
            value = getattr(self, label)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{label} must be a positive integer, got {value!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr!r}")

    def replace(self, **changes: Any) -> Preset:
        """A copy with ``changes`` (for example ``epochs=10``); unknown fields are refused."""
        unknown = sorted(set(changes) - {f.name for f in dataclasses.fields(self)})
        if unknown:
            fields = ", ".join(f.name for f in dataclasses.fields(self))
            raise ValueError(f"a preset has no field {unknown}; its fields are: {fields}")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The preset as plain values (lists for tuples), as checkpoints and logs store it."""
        return {
            key: list(value) if isinstance(value, tuple) else value
            for key, value in dataclasses.asdict(self).items()
        }


def _scaled(milestones: tuple[int, ...], epochs: int, quick_epochs: int) -> tuple[int, ...]:
    """Milestones moved to the same fractions of a shorter run (distinct, within the run)."""
    scaled = sorted({max(1, round(m * quick_epochs / epochs)) for m in milestones})
    return tuple(m for m in scaled if m < quick_epochs)


def _quick(preset: Preset, *, batch: int, crop: int, epochs: int, epoch_size: int) -> Preset:
    """The quick scale: a smaller batch, crop and run, the schedule scaled to fit; all else kept."""
    return preset.replace(
        batch=batch,
        crop=crop,
        epochs=epochs,
        epoch_size=epoch_size,
        milestones=_scaled(preset.milestones, preset.epochs, epochs),
        checkpoint_every=1,
        quick=True,
    )


def gaussian_gray(quick: bool = False) -> Preset:
    """Gaussian noise on gray images with DuRN-P (Sec. 5.1).

    Reproduces: BSD gray (300 train+val images), batch 100, Adam lr 1e-3, 3000 epochs, 64x64
    crops, lr x0.1 at epochs 500, 1000, 1500 and 2500, L2 loss; each clean crop gets noise
    with sigma drawn per image from {30, 50, 70} (on the 0-255 scale, not clipped), and each
    batch is used for ten optimisation steps with fresh noise each time.

    Quick: batch 8, 32x32 crops, 16 crops an epoch, 8 epochs (160 steps), the milestones at
    the same fractions of the run; ten steps per batch and the noise as in the paper.
    """
    preset = Preset(
        name="gaussian-gray", task="Gaussian noise (gray)", network="DuRN-P", data="bsd-gray",
        batch=100, lr=1e-3, epochs=3000, crop=64, schedule="step",
        milestones=(500, 1000, 1500, 2500), gamma=0.1, loss="l2", local_steps=10,
        sigmas=(30.0, 50.0, 70.0),
    )
    return _quick(preset, batch=8, crop=32, epochs=8, epoch_size=16) if quick else preset


def gaussian_gray_train400(quick: bool = False) -> Preset:
    """Gaussian noise on gray images with DuRN-P, sized for one CPU (the course's checkpoint).

    Derived from ``gaussian-gray`` (Sec. 5.1): the same network, L2 loss, Adam lr 1e-3, 64x64
    crops, sigma drawn per image from {30, 50, 70} and ten steps per batch with fresh noise;
    changed: Train400 (the 400 gray 180x180 BSD crops most denoising work trains on), batch 16,
    24 epochs (6,000 steps), lr x0.1 at epochs 16 and 21. Validation: Set12 at sigma 50.

    Quick: as ``gaussian-gray``'s quick scale.
    """
    preset = gaussian_gray().replace(
        name="gaussian-gray-train400", data="train400", batch=16, epochs=24, milestones=(16, 21),
        checkpoint_every=1,
    )
    return _quick(preset, batch=8, crop=32, epochs=8, epoch_size=16) if quick else preset


def gaussian_gray_train400_stage2(quick: bool = False) -> Preset:
    """A second sitting of ``gaussian-gray-train400``: its weights trained further (not in the paper).

    Starts from the first sitting's weights (``--init gaussian-gray`` or the run's
    ``model.pt``) with everything else of ``gaussian-gray-train400``; changed: lr 1e-4 annealed
    to zero by a cosine over 6 epochs (1,500 steps, about 100 minutes at 4 s a step on two CPU
    cores without AVX-512): a warm restart at ten times the 1e-5 the first sitting ended at,
    gentle enough that a fresh Adam does not undo the first sitting in a short run.

    Quick: as ``gaussian-gray``'s quick scale, from scratch without ``init``.
    """
    preset = gaussian_gray_train400().replace(
        name="gaussian-gray-train400-stage2", lr=1e-4, epochs=6, schedule="cosine", milestones=(),
        init="gaussian-gray-train400",
    )
    return _quick(preset, batch=8, crop=32, epochs=8, epoch_size=16) if quick else preset


def real_noise(quick: bool = False) -> Preset:
    """Real-world noise with DuRN-P-no-norm (Sec. 5.1).

    Reproduces: PolyU / RealNoiseHKPoly, 30 full-size scenes, batch 30 (one batch an epoch),
    Adam lr 1e-4, 3500 epochs, 128x128 crops, lr x0.1 at epochs 1000 and 2000, loss
    1.1*(-SSIM) + 0.75*L1.

    Quick: batch 4, 48x48 crops, 16 crops an epoch, 10 epochs, the milestones scaled.
    """
    preset = Preset(
        name="real-noise", task="real-world noise", network="DuRN-P-no-norm", data="polyu",
        batch=30, lr=1e-4, epochs=3500, crop=128, schedule="step", milestones=(1000, 2000),
    )
    return _quick(preset, batch=4, crop=48, epochs=10, epoch_size=16) if quick else preset


def real_noise_crops(quick: bool = False) -> Preset:
    """Real-world noise with DuRN-P-no-norm on the official PolyU crops, sized for one CPU.

    Derived from ``real-noise`` (Sec. 5.1): the same network, loss 1.1*(-SSIM) + 0.75*L1, Adam
    lr 1e-4, x0.1 at the same fractions of the run (2/7 and 4/7); changed: the 73 official
    512x512 crops of the 30 training scenes (the 10 test scenes held out, as the paper splits
    them), batch 16, 64x64 crops, 245 epochs (1,225 steps, about 75 minutes on two cores of a
    CPU without AVX-512; the paper's run is 3,500 steps of batch 30 at 128x128). Validation,
    for watching the run only: four crops of the test scenes every 50 epochs.

    Quick: as ``real-noise``'s quick scale.
    """
    preset = real_noise().replace(
        name="real-noise-crops", data="polyu-crops", batch=16, crop=64, epochs=245, milestones=(70, 140),
        checkpoint_every=50,
    )
    return _quick(preset, batch=4, crop=48, epochs=10, epoch_size=16) if quick else preset


def real_noise_crops_stage2(quick: bool = False) -> Preset:
    """A second sitting of ``real-noise-crops``: its weights trained further (not in the paper).

    Starts from the first sitting's weights (``--init real-noise`` or the run's ``model.pt``)
    with everything else of ``real-noise-crops``; changed: each pair turned by one of the eight
    flips and 90-degree rotations (``dihedral``, against overfitting 73 crops), 80 crops an epoch
    for 240 epochs (1,200 steps, about 70 minutes on two CPU cores without AVX-512), lr 1e-4
    annealed to zero by a cosine: the first sitting spent only 350 steps at 1e-4 before its
    step decay. (The paper's 128x128 crops cost 1.4 times as much a pixel on such a CPU: 4.7 s
    a step of 4, against 3.4 s for 16 at 64x64.)

    Quick: as ``real-noise``'s quick scale, from scratch without ``init``.
    """
    preset = real_noise_crops().replace(
        name="real-noise-crops-stage2", epochs=240, epoch_size=80, schedule="cosine", milestones=(),
        dihedral=True, checkpoint_every=50, init="real-noise-crops",
    )
    return _quick(preset, batch=4, crop=48, epochs=10, epoch_size=16) if quick else preset


def motion_blur(quick: bool = False) -> Preset:
    """Motion blur with DuRN-U (Sec. 5.2).

    Reproduces: GoPro train, each image resized to 640x360 first, batch 10, Adam lr 1e-4,
    5000 epochs, 256x256 crops, lr x0.1 at epochs 2000 and 4000, loss 1.1*(-SSIM) + 0.75*L1.

    Quick: batch 2, 64x64 crops, 8 crops an epoch, 10 epochs, the milestones scaled.
    """
    preset = Preset(
        name="motion-blur", task="motion blur", network="DuRN-U", data="gopro",
        batch=10, lr=1e-4, epochs=5000, crop=256, schedule="step", milestones=(2000, 4000),
        resize=(640, 360),
    )
    return _quick(preset, batch=2, crop=64, epochs=10, epoch_size=8) if quick else preset


def haze_its(quick: bool = False) -> Preset:
    """Haze with DuRN-US on RESIDE indoor (Sec. 5.3).

    Reproduces: RESIDE ITS, one of the ten hazy versions drawn per image, batch 40, Adam lr
    1e-4, 3000 epochs, 256x256 crops, lr x0.1 at epochs 700 and 1400, loss
    1.1*(-SSIM) + 0.75*L1.

    Quick: batch 2, 64x64 crops, 8 crops an epoch, 10 epochs, the milestones scaled.
    """
    preset = Preset(
        name="haze-its", task="haze", network="DuRN-US", data="reside",
        batch=40, lr=1e-4, epochs=3000, crop=256, schedule="step", milestones=(700, 1400),
    )
    return _quick(preset, batch=2, crop=64, epochs=10, epoch_size=8) if quick else preset


def haze_dcpdn(quick: bool = False) -> Preset:
    """Haze with DuRN-US on the DCPDN data (Sec. 5.3).

    Reproduces: the DCPDN training pairs (h5 files), batch 20, Adam lr 1e-4, 600 epochs,
    256x256 crops, a constant learning rate, loss 1.1*(-SSIM) + 0.75*L1.

    Quick: batch 2, 64x64 crops, 8 crops an epoch, 10 epochs.
    """
    preset = Preset(
        name="haze-dcpdn", task="haze", network="DuRN-US", data="dcpdn",
        batch=20, lr=1e-4, epochs=600, crop=256, schedule="constant",
    )
    return _quick(preset, batch=2, crop=64, epochs=10, epoch_size=8) if quick else preset


def rain_streak(quick: bool = False) -> Preset:
    """Rain streaks with DuRN-S (Sec. 5.5).

    Reproduces: DID-MDN (one of Heavy, Medium, Light drawn per image), batch 40, Adam lr 1e-4,
    2000 epochs, 64x64 crops, cosine annealing over all epochs, a random left-right flip,
    loss 1.1*(-SSIM) + 0.75*L1. For DDN (one of its 14 rainy versions drawn per image) use
    ``rain_streak().replace(data="ddn")`` or ``durn-teach train rain-streak --data ddn``.

    Quick: batch 4, 32x32 crops, 8 crops an epoch, 10 epochs, cosine over those 10 epochs.
    """
    preset = Preset(
        name="rain-streak", task="rain streaks", network="DuRN-S", data="did-mdn",
        batch=40, lr=1e-4, epochs=2000, crop=64, schedule="cosine", hflip=True,
    )
    return _quick(preset, batch=4, crop=32, epochs=10, epoch_size=8) if quick else preset


def raindrop_stage1(quick: bool = False) -> Preset:
    """Raindrops with DuRN-S-P, first stage (Sec. 5.4).

    Reproduces: RainDrop train, batch 24, Adam lr 1e-4, 4000 epochs, 256x256 crops, lr x0.5 at
    epoch 2000, loss 1.1*(-SSIM) + 0.75*L1. The second stage is ``raindrop-stage2``.

    Quick: batch 2, 64x64 crops, 8 crops an epoch, 10 epochs, the milestone scaled.
    """
    preset = Preset(
        name="raindrop-stage1", task="raindrops", network="DuRN-S-P", data="raindrop",
        batch=24, lr=1e-4, epochs=4000, crop=256, schedule="step", milestones=(2000,), gamma=0.5,
    )
    return _quick(preset, batch=2, crop=64, epochs=10, epoch_size=8) if quick else preset


def raindrop_stage2(quick: bool = False) -> Preset:
    """Raindrops with DuRN-S-P, second stage (Sec. 5.4): fine-tuning the first stage's weights.

    Reproduces: RainDrop train, batch 24, Adam lr 1e-5, 100 epochs, 256x256 crops, a constant
    learning rate, loss 1.1*L1, starting from the weights of ``raindrop-stage1`` (give them
    with ``init=`` or ``--init PATH``).

    Quick: batch 2, 64x64 crops, 8 crops an epoch, 5 epochs; without ``init`` it starts from
    scratch (a quick run needs no first stage).
    """
    preset = Preset(
        name="raindrop-stage2", task="raindrops", network="DuRN-S-P", data="raindrop",
        batch=24, lr=1e-5, epochs=100, crop=256, schedule="constant", loss="l1",
        init="raindrop-stage1",
    )
    return _quick(preset, batch=2, crop=64, epochs=5, epoch_size=8) if quick else preset


def rain_streak_rain100l(quick: bool = False) -> Preset:
    """Rain streaks with DuRN-S on real pairs, sized for one CPU (the course's checkpoint).

    Derived from ``rain-streak`` (Sec. 5.5): the same network, loss 1.1*(-SSIM) + 0.75*L1, Adam,
    64x64 crops, random left-right flips, a cosine schedule annealed to zero over the run;
    changed: the data are real pairs of Rain100L's training side (80 pairs, split by background
    from the 20 test pairs) and RainTrainH (heavy rain) instead of DID-MDN, batch 8, lr 3e-4
    (a short run), 22 epochs of 200 crops (550 steps, about an hour on two CPU cores; the
    paper's run is 2,000 epochs of DID-MDN's 12,000 images in batches of 40). Validation, for
    watching the run only: four Rain100L test pairs every 5 epochs.

    Quick: as ``rain-streak``'s quick scale.
    """
    preset = rain_streak().replace(
        name="rain-streak-rain100l", data="rain100l+raintrainh", batch=8, lr=3e-4, epochs=22,
        epoch_size=200, checkpoint_every=5,
    )
    return _quick(preset, batch=4, crop=32, epochs=10, epoch_size=8) if quick else preset


def rain_streak_rain100l_stage2(quick: bool = False) -> Preset:
    """A second sitting of ``rain-streak-rain100l``: its weights trained further (not in the paper).

    Starts from the first sitting's weights (``--init rain-streak`` or the run's ``model.pt``)
    with everything else of ``rain-streak-rain100l``; changed: lr 1.5e-4 annealed to zero by a
    cosine over 30 epochs of 200 crops (750 steps, about 90 minutes on two CPU cores without
    AVX-512): a warm restart at half the first sitting's peak, since its validation PSNR was
    still rising when the first cosine reached zero.

    Quick: as ``rain-streak``'s quick scale, from scratch without ``init``.
    """
    preset = rain_streak_rain100l().replace(
        name="rain-streak-rain100l-stage2", lr=1.5e-4, epochs=30, init="rain-streak-rain100l",
    )
    return _quick(preset, batch=4, crop=32, epochs=10, epoch_size=8) if quick else preset


def raindrop_photos(quick: bool = False) -> Preset:
    """Raindrops with DuRN-S-P on real photographs with chapter 6's synthetic drops, sized for one CPU.

    Derived from ``raindrop-stage1`` (Sec. 5.4): the same network, loss 1.1*(-SSIM) + 0.75*L1,
    Adam, channels in BGR order as the release fed it; changed: the data are synthetic (clean
    CBSD68, Kodak24 and PolyU photographs, kodim17-24 held out, with drops drawn per crop by
    ``durn_teach.degrade.raindrops``) because only four real RainDrop pairs are at hand, and
    they are the test set; batch 4, 128x128 crops, lr 2e-4 annealed to zero by a cosine, 24
    epochs of 200 crops (1,200 steps, about 45 minutes on two CPU cores; the paper's run is
    4,000 epochs of RainDrop's 861 pairs in batches of 24 at 256x256), no second stage. Validation, for
    watching the run only: four held-out photographs with fixed drops every 4 epochs.

    Quick: as ``raindrop-stage1``'s quick scale.
    """
    preset = raindrop_stage1().replace(
        name="raindrop-photos", data="photos", batch=4, crop=128, lr=2e-4, epochs=24, epoch_size=200,
        schedule="cosine", milestones=(), checkpoint_every=4,
        data_options={"degradation": "raindrops", "bgr": True},
    )
    return _quick(preset, batch=2, crop=64, epochs=10, epoch_size=8) if quick else preset


def raindrop_photos_stage2(quick: bool = False) -> Preset:
    """A second sitting of ``raindrop-photos`` on drops like the real pairs' (not in the paper).

    Starts from the first sitting's weights (``--init raindrop`` or the run's ``model.pt``) with
    everything else of ``raindrop-photos``; changed: the drops are ``raindrops-real``
    (``durn_teach.data.photos``): dense, large, defocused and bright, on a slightly softened
    view, as on the real RainDrop pairs, where the first sitting's drops were darker and
    sharper; 24 epochs of 200 crops (1,200 steps), lr 2e-4 annealed to zero by a cosine.
    Validation: four held-out photographs with the test setting of those drops.

    Quick: as ``raindrop-stage1``'s quick scale, from scratch without ``init``.
    """
    preset = raindrop_photos().replace(
        name="raindrop-photos-stage2", init="raindrop-photos",
        data_options={"degradation": "raindrops-real", "bgr": True},
    )
    return _quick(preset, batch=2, crop=64, epochs=10, epoch_size=8) if quick else preset


def raindrop_photos_stage3(quick: bool = False) -> Preset:
    """A third sitting of ``raindrop-photos`` on both kinds of drops at once (not in the paper).

    Starts from the second sitting's weights (``--init raindrop``) with everything else of
    ``raindrop-photos``; changed: the drops are ``raindrops-mixed`` (``durn_teach.data.photos``):
    each crop gets either the first sitting's drops on a sharp view or the second's dense, bright
    ones on a softened view, half and half, because the second sitting, trained on the latter
    only, learnt to sharpen every view and lost ground on chapter 6's sparse drops; lr 1e-4
    annealed to zero by a cosine over 20 epochs of 200 crops (1,000 steps in batches of 4).
    Validation: four held-out photographs with chapter 6's 30 drops.

    Quick: as ``raindrop-stage1``'s quick scale, from scratch without ``init``.
    """
    preset = raindrop_photos().replace(
        name="raindrop-photos-stage3", init="raindrop-photos-stage2", lr=1e-4, epochs=20,
        data_options={"degradation": "raindrops-mixed", "bgr": True},
    )
    return _quick(preset, batch=2, crop=64, epochs=10, epoch_size=8) if quick else preset


def motion_blur_photos(quick: bool = False) -> Preset:
    """Motion blur with DuRN-U on real photographs with chapter 6's synthetic blur, sized for one CPU.

    Derived from ``motion-blur`` (Sec. 5.2): the same network, loss 1.1*(-SSIM) + 0.75*L1, Adam;
    changed: the data are synthetic (clean CBSD68, Kodak24 and PolyU photographs, kodim17-24
    held out, each crop blurred by a random camera-shake or straight-motion kernel of 3-25 px
    with light noise, ``durn_teach.data.photos.blur_kernel``) because no real blurred/sharp
    pairs are at hand; batch 4, 128x128 crops, lr 2e-4 annealed to zero by a cosine, 10 epochs
    of 160 crops (400 steps, about 35 minutes on two CPU cores without AVX-512; the paper's run
    is 5,000 epochs of GoPro's 2,103 frames at 640x360 in batches of 10 at 256x256).
    Validation, for watching the run only: four held-out photographs with chapter 8's blur
    every 5 epochs.

    Quick: as ``motion-blur``'s quick scale.
    """
    preset = motion_blur().replace(
        name="motion-blur-photos", data="photos", batch=4, crop=128, lr=2e-4, epochs=10, epoch_size=160,
        schedule="cosine", milestones=(), resize=None, checkpoint_every=5,
        data_options={"degradation": "motion-blur"},
    )
    return _quick(preset, batch=2, crop=64, epochs=10, epoch_size=8) if quick else preset


def motion_blur_photos_stage2(quick: bool = False) -> Preset:
    """A second sitting of ``motion-blur-photos``: its weights trained further (not in the paper).

    Starts from the first sitting's weights (``--init motion-blur`` or the run's ``model.pt``)
    with everything else of ``motion-blur-photos``; changed: 15 epochs of 160 crops (600 steps),
    lr 2e-4 annealed to zero by a cosine again (a warm restart), because the first sitting's
    400 steps ended with its loss still falling and the network still below the blurred input.

    Quick: as ``motion-blur``'s quick scale, from scratch without ``init``.
    """
    preset = motion_blur_photos().replace(
        name="motion-blur-photos-stage2", init="motion-blur-photos", epochs=15,
    )
    return _quick(preset, batch=2, crop=64, epochs=10, epoch_size=8) if quick else preset


def haze_photos(quick: bool = False) -> Preset:
    """Haze with DuRN-US on real photographs with chapter 6's synthetic haze, sized for one CPU.

    Derived from ``haze-its`` (Sec. 5.3): the same network, loss 1.1*(-SSIM) + 0.75*L1, Adam;
    changed: the data are synthetic (clean CBSD68, Kodak24 and PolyU photographs, kodim17-24
    held out, each crop hazed by the scattering model with a random depth stand-in, beta and
    airlight, ``durn_teach.data.photos.depth_proxy``) because RESIDE's rendered pairs are not at
    hand and the real SOTS pairs are the test set; batch 4, 128x128 crops, lr 2e-4 annealed to
    zero by a cosine, 16 epochs of 160 crops (640 steps, about an hour on two CPU cores without
    AVX-512; the paper's run is 3,000 epochs of ITS's 13,990 images in batches of 40 at
    256x256). Validation, for watching the run only: four held-out photographs with chapter 6's
    haze every 4 epochs.

    Quick: as ``haze-its``'s quick scale.
    """
    preset = haze_its().replace(
        name="haze-photos", data="photos", batch=4, crop=128, lr=2e-4, epochs=16, epoch_size=160,
        schedule="cosine", milestones=(), checkpoint_every=4, data_options={"degradation": "haze"},
    )
    return _quick(preset, batch=2, crop=64, epochs=10, epoch_size=8) if quick else preset


PRESETS: dict[str, Callable[..., Preset]] = {
    "gaussian-gray": gaussian_gray,
    "gaussian-gray-train400": gaussian_gray_train400,
    "gaussian-gray-train400-stage2": gaussian_gray_train400_stage2,
    "real-noise": real_noise,
    "real-noise-crops": real_noise_crops,
    "real-noise-crops-stage2": real_noise_crops_stage2,
    "motion-blur": motion_blur,
    "motion-blur-photos": motion_blur_photos,
    "motion-blur-photos-stage2": motion_blur_photos_stage2,
    "haze-its": haze_its,
    "haze-dcpdn": haze_dcpdn,
    "haze-photos": haze_photos,
    "rain-streak": rain_streak,
    "rain-streak-rain100l": rain_streak_rain100l,
    "rain-streak-rain100l-stage2": rain_streak_rain100l_stage2,
    "raindrop-stage1": raindrop_stage1,
    "raindrop-stage2": raindrop_stage2,
    "raindrop-photos": raindrop_photos,
    "raindrop-photos-stage2": raindrop_photos_stage2,
    "raindrop-photos-stage3": raindrop_photos_stage3,
}


NORMALISED_BY_BATCH = ("DuRN-P", "DuRN-S", "DuRN-S-P")  # the networks with BatchNorm layers


def departures(preset: Preset) -> list[str]:
    """Where a run of ``preset`` departs from the release's training script (the module's list)."""
    found = []
    if preset.schedule == "step" and preset.milestones:
        found.append("the rate falls one epoch earlier than the release's (MultiStepLR steps at the end "
                     "of the milestone's epoch; the release's `if epoch in [...]` one epoch later)")
    if preset.schedule == "cosine":
        rain = preset.network == "DuRN-S"
        found.append("the cosine schedule runs one epoch ahead of the release's"
                     + ("; the release's first rain-streak script never stepped it" if rain else ""))
    found.append("a new order of the training images every epoch (the release's loaders: shuffle=False)")
    if preset.network in NORMALISED_BY_BATCH and preset.init is None and preset.norm_init == "pytorch":
        found.append("BatchNorm weights start at 1, not uniform in [0, 1) as in the release's PyTorch 0.3 "
                     "(norm_init='release', --norm-init release, starts as the release did)")
    if preset.data == "dcpdn":
        found.append("256x256 crops, as the settings summary gives; the release's DCPDN loader feeds whole "
                     "images")
    if preset.dihedral:
        found.append("each training pair turned by one of the eight flips and 90-degree rotations; the "
                     "release's loaders neither flip nor rotate")
    if preset.block is not None:
        found.append(f"its dual residual blocks are {preset.block} blocks, not the release's (the cross-task "
                     "study, Table 5)")
    if preset.init is not None:
        found.append("a new Adam (fresh moments) from the weights of init; the release's comments read as "
                     "a continuation of the first run's optimiser")
    return found


# The fields of a preset that ``durn-teach train`` may change, with their options; a run records
# them in preset.json, and the commands rebuilt from a run (resume, export) pass them again.
COMMAND_LINE = {"data": "--data", "epochs": "--epochs", "batch": "--batch", "lr": "--lr", "crop": "--crop",
                "norm_init": "--norm-init", "block": "--block"}


def _state_departures(builder: Callable[..., Preset]) -> None:
    """Append to ``builder``'s docstring where its preset's runs depart from the release."""
    if builder.__doc__ is None:  # python -OO strips docstrings
        return
    lines = "".join(f"\n    - {line}" for line in departures(builder()))
    heading = "Departs from the release (the module's list):"
    builder.__doc__ = f"{builder.__doc__.rstrip()}\n\n    {heading}{lines}\n"


for _builder in PRESETS.values():
    _state_departures(_builder)


def list_presets() -> list[str]:
    """The names ``get_preset`` accepts, in the paper's order."""
    return list(PRESETS)


def get_preset(name: str, quick: bool = False, **changes: Any) -> Preset:
    """The preset ``name`` (exactly the paper's unless ``quick``), with optional ``changes``."""
    try:
        builder = PRESETS[name]
    except (KeyError, TypeError):
        raise ValueError(f"unknown preset {name!r}; the presets are: {', '.join(PRESETS)}") from None
    preset = builder(quick=quick)
    return preset.replace(**changes) if changes else preset
