"""The one forkserver of the process, shared by the hash pool and the reader children.

multiprocessing starts a single forkserver per process, and only the preload
list set before it starts counts: whichever pool starts first decides what
every later child has already imported. With a list of its own per pool, a
reader child forked from a server the hash pool started imported pandas and
calamine on its own (about 0.3 s of CPU for each child, again after every
child that dies). So both pools ask here, for one list.
"""

from __future__ import annotations

import multiprocessing

# What the children of either pool run: imported once in the server, inherited by every fork.
PRELOAD = ["provisioner.workbook.reader", "provisioner.security.hashing"]


def context() -> multiprocessing.context.BaseContext:
    """The forkserver context with PRELOAD (spawn where there is no forkserver: Windows).

    fork() from a threaded process (the scheduler's workers, the database
    pool) can copy a lock held by another thread and hang the child;
    forkserver forks from a clean single-threaded server instead.
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    forkserver = multiprocessing.get_context("forkserver")
    forkserver.set_forkserver_preload(PRELOAD)
    return forkserver
