"""Source models. Importing this package registers the built-in zoo, then the modules named in the environment
variable ``MBENCH_MODEL_MODULES`` (comma-separated files or module names: how tests and labs add models of their
own, in every process they start)."""

import os

from mbench.models import (  # noqa: F401  (registration side effect is the point of these imports)
    conv_variants,
    deeplab,
    fcn,
    hed,
    inception,
    resnet,
    xception,
)
from mbench.models.registry import MODULES_VARIABLE, get, headline_pairs, load_modules, names, register

load_modules(os.environ.get(MODULES_VARIABLE, ""))

__all__ = ["get", "headline_pairs", "names", "register"]
