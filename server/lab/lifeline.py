"""Child processes of the lab must not outlive it: ask the kernel to signal them when it dies."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import stat
import sys

PR_SET_PDEATHSIG = 1


def signal_on_parent_death(sig: signal.Signals) -> None:
    """On Linux, have the kernel send ``sig`` to this process when the thread that started it ends
    (elsewhere, do nothing). The caller should then check ``os.getppid()``: a parent that died
    before this call has already been replaced."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, sig)


def close_inherited_sockets(keep: int = -1) -> None:
    """In a child forked from the lab, close the sockets it inherited (the dashboard's listening
    socket, its browsers' connections), except ``keep``. A socket ends only when its last copy is
    closed, so a child holding copies could keep connections open that the lab had closed. Only
    the numbers are closed; the child never uses the objects that owned them, and leaves with
    ``os._exit``, without finalising them."""
    if not os.path.isdir("/proc/self/fd"):
        return
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd == keep or fd <= 2:
            continue
        with contextlib.suppress(OSError):  # the listing's own fd, gone by now
            if stat.S_ISSOCK(os.fstat(fd).st_mode):
                os.close(fd)
