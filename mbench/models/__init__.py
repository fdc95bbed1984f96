"""Source models. Importing this package registers the built-in zoo."""
from mbench.models import hed, tiny  # noqa: F401  (registration side effect is the point of these imports)
from mbench.models.registry import get, names, register

__all__ = ["get", "names", "register"]
