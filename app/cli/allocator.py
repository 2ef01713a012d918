"""The process's memory allocator, bounded to a few arenas.

glibc's ``malloc`` gives each thread that allocates an arena of its own and keeps what was
freed there for that arena's next use, so the search engine's threads (an index writer merging
segments) leave a process holding memory it no longer uses, more the larger the segments:
ingesting 100,000 articles held 140 MB of private memory until segments of 50,000 were merged,
263 MB after; with two arenas, 158 MB throughout, and no slower. A ``MALLOC_ARENA_MAX`` already
in the environment is left as it is.
"""

import ctypes
import os
import sys

ARENAS = 2
# mallopt's parameter for the most arenas (glibc's malloc.h).
_M_ARENA_MAX = -8


def bound_arenas() -> None:
    """Bound this process's arenas, and those of the processes it starts (server workers),
    to ``ARENAS``; nothing where the C library is not glibc's."""
    if "MALLOC_ARENA_MAX" in os.environ or not sys.platform.startswith("linux"):
        return
    os.environ["MALLOC_ARENA_MAX"] = str(ARENAS)  # read by each process at its start
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # a C library without mallopt
        return
    mallopt(_M_ARENA_MAX, ARENAS)
