"""Shared-memory Value peer of examples/interop/value.js, in plain Python.

    python3 value_peer.py VALUE GUARD N

Attaches the segment of a Node `new Value('i', ...)` by name with
multiprocessing.shared_memory, checks its header (docs/interop/values.md, via
examples/python/osipc_value.py), then adds 1 to it N times, each time holding
the named semaphore GUARD (ctypes over sem_open/sem_wait/sem_post).

Why a semaphore and not the Value's lock: the lock is a futex word taken with
compare-and-swap, and Python's standard library has neither. A plain
read-then-write from Python races with every other writer. It is exact here
because every writer, Node included, holds GUARD while it writes.
"""
import ctypes
import ctypes.util
import os
import signal
import sys

# Reuse the validating reader of examples/python/osipc_value.py.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from osipc_value import Segment, attach  # noqa: E402

# sem_open & co. live in libc on glibc 2.34+, in libpthread before.
libc = ctypes.CDLL(ctypes.util.find_library("pthread") or ctypes.util.find_library("c"), use_errno=True)
libc.sem_open.argtypes = [ctypes.c_char_p, ctypes.c_int]  # without O_CREAT: no mode, no value
libc.sem_open.restype = ctypes.c_void_p
for fn in (libc.sem_wait, libc.sem_post, libc.sem_close):
    fn.argtypes = [ctypes.c_void_p]
    fn.restype = ctypes.c_int


def sem_open(name):
    sem = libc.sem_open(name.encode(), 0)
    if sem in (None, ctypes.c_void_p(-1).value):  # SEM_FAILED: 0 on Linux, -1 on macOS
        err = ctypes.get_errno()
        raise OSError(err, f"sem_open {name}: {os.strerror(err)}")
    return sem


def main(value_name, guard_name, n):
    signal.alarm(30)  # SIGALRM ends us if the Node side goes away
    # attach() unregisters the segment from multiprocessing's resource tracker:
    # on Python 3.8-3.12 the tracker would otherwise unlink Node's segment when
    # this script exits (3.13 has SharedMemory(name, track=False) for that).
    shm = attach(value_name)
    value = Segment(shm)
    if value.typecode != "i" or value.count != 1:
        sys.exit(f"{value_name}: expected a Value('i')")
    guard = sem_open(guard_name)
    print(f"Python: opened {value_name}, typecode 'i', value {value.value}", flush=True)
    for _ in range(n):
        if libc.sem_wait(guard) != 0:
            raise OSError(ctypes.get_errno(), "sem_wait")
        value.value += 1  # read, then write: safe only while holding the guard
        libc.sem_post(guard)
    print(f"Python: added {n} under the named semaphore", flush=True)
    libc.sem_close(guard)
    del value
    shm.close()  # never unlink: the segment is Node's


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: value_peer.py VALUE GUARD N")
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
