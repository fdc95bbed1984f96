"""mbench: which model, in which format and precision, on which device, is small, fast and accurate enough."""

__version__ = "0.1.0"
