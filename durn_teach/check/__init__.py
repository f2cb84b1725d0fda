"""Self-checks for coursework: a student's layer, block, network or function against the reference.

    from durn_teach import check

    result = check.block("DuRB-P", MyDuRB_P)   # a class, a builder or a module
    result.passed                               # True or False
    result                                      # the report; on failure, the first difference in words

A module check builds the package's reference and the student's module with the same arguments
and compares, in order: the parameter count; the state-dict layout (keys and shapes, by name: an
entry order other than the reference's is a note, not a failure, since weights load by name); the
outputs in evaluation and in training mode on shared random weights (the reference's state dict,
loaded into the student's module by name) and a shared random input, in float64, and after the
training-mode forward the buffers it updates (a batch norm's running statistics); and the
gradients with respect to the input and every parameter. A function check (a loss, a metric)
compares values and input gradients on shared inputs, with float64's tolerance, or float32's
when the student's function computes in float32. On failure the report explains the first
difference: which entry or submodule, which shapes, how large the error.

The rooms: ``report`` (a result, its cases and steps, the text and HTML report), ``compare``
(shared weights and inputs, tolerances, the module comparison), ``modules`` (the ConvLayer,
block and network checks, chapters 2-5) and ``functions`` (functions, SSIM, the losses and the
metric protocol, chapter 7).
"""


from durn_teach.check.compare import FLOAT32_TOLERANCE, RELATIVE_TOLERANCE, SEED, shared_input, shared_weights
from durn_teach.check.functions import function, loss, loss_cases, metric, metric_cases, ssim
from durn_teach.check.modules import (
    BLOCK_SIZE,
    BLOCKS,
    CONV_LAYER_CONFIGS,
    block,
    conv_layer,
    module,
    network,
)
from durn_teach.check.report import COLOURS, FAIL, MARKS, PASS, SKIP, Case, CheckResult, Step

__all__ = [
    "BLOCKS", "BLOCK_SIZE", "COLOURS", "CONV_LAYER_CONFIGS", "FAIL", "FLOAT32_TOLERANCE", "MARKS", "PASS",
    "RELATIVE_TOLERANCE", "SEED", "SKIP", "Case", "CheckResult", "Step", "block", "conv_layer", "function",
    "loss", "loss_cases", "metric", "metric_cases", "module", "network", "shared_input", "shared_weights",
    "ssim",
]
