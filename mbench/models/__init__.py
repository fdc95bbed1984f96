"""Source models. Importing this package registers the built-in zoo."""
from mbench.models import (  # noqa: F401  (registration side effect is the point of these imports)
    conv_variants, deeplab, fcn, hed, inception, resnet, tiny, xception,
)
from mbench.models.registry import get, names, register

__all__ = ["get", "names", "register"]
