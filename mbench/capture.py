"""Send what native libraries print (converter progress bars, MLIR and TensorFlow logs, the warnings of libraries a
user's model imports) to a file instead of the user's terminal, at the file-descriptor level so C++ output and
logging handlers bound to the original streams are caught too."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


@contextlib.contextmanager
def output_to(log_path: Path) -> Iterator[Path]:
    """Redirect fds 1 and 2 (and Python's sys.stdout/stderr, which may not be fds 1 and 2) to ``log_path`` for
    the duration; restored even when the body raises."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(log_path, "a", buffering=1, errors="replace") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
                yield log_path
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def output_of(call: Callable[[], T]) -> tuple[T, str]:
    """``call()``'s result and what it printed meanwhile (fds 1 and 2), kept off the terminal."""
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "output.log"
        with output_to(log):
            result = call()
        return result, log.read_text(errors="replace")
