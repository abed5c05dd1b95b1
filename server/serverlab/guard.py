"""A server's keeper: ``python -m server.serverlab.guard COMMAND...``.

The lab starts every server through this small process, in a session of its own, so that the server,
its workers and anything they start form one process group. The guard runs the command and, when
told to stop (SIGTERM) or when the lab dies, stops the whole group: the server gets SIGTERM and a few
seconds to shut down gracefully, then every process left in the group gets SIGKILL. The lab dying
is noticed through the kernel (PR_SET_PDEATHSIG) and, as a fallback, by polling the parent pid.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading

from server.lab.lifeline import signal_on_parent_death

#: How long the server may take to shut down gracefully before everything is killed.
GRACE_S = 3.0


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m server.serverlab.guard COMMAND [ARG...]", file=sys.stderr)
        return 2
    lab = os.getppid()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal_on_parent_death(signal.SIGTERM)
    if os.getppid() != lab:  # pragma: no cover - the lab died before the request above
        return 1
    server = subprocess.Popen(argv)
    while server.poll() is None and not stop.is_set() and os.getppid() == lab:
        stop.wait(0.2)
    if server.poll() is None:
        server.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.wait(GRACE_S)
    code = server.poll()
    # Whatever is left of the group (workers whose master died, a server that ignored SIGTERM),
    # the guard included: SIGKILL ends this process too, so flush first.
    sys.stdout.flush()
    sys.stderr.flush()
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if _others_in_group():
            os.killpg(os.getpgrp(), signal.SIGKILL)
    return code if code is not None else 1


def _others_in_group() -> bool:
    import psutil

    me, group = os.getpid(), os.getpgrp()
    for p in psutil.process_iter(["pid"]):
        with contextlib.suppress(psutil.Error, ProcessLookupError):
            if p.pid != me and os.getpgid(p.pid) == group:
                return True
    return False


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
