"""Child processes of the lab must not outlive it: ask the kernel to signal them when it dies."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import sys

PR_SET_PDEATHSIG = 1


def signal_on_parent_death(sig: signal.Signals) -> None:
    """On Linux, have the kernel send ``sig`` to this process when the thread that started it ends
    (elsewhere, do nothing). The caller should then check ``os.getppid()``: a parent that died
    before this call has already been replaced."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, sig)
