"""multiprocessing.shared_memory peer: create and attach latency of 1 MiB segments.
Usage: shm_create_attach.py create|attach <n>
create: microseconds per SharedMemory(create=True, size=1 MiB) (close and unlink untimed).
attach: the parent creates n segments; another process times SharedMemory(name)
        for each (microseconds per attach; its close untimed).
Prints one number."""
import multiprocessing as mp
import os
import sys
import time
from multiprocessing import shared_memory

SIZE = 1 << 20


def names(n):
    return [f"osipc-{os.getpid()}-py{i}" for i in range(n)]


def create(n):
    for name in names(min(n, 200)):  # warm-up, untimed
        shm = shared_memory.SharedMemory(name=name, create=True, size=SIZE)
        shm.close()
        shm.unlink()
    total = 0.0
    for name in names(n):
        t0 = time.perf_counter()
        shm = shared_memory.SharedMemory(name=name, create=True, size=SIZE)
        total += time.perf_counter() - t0
        shm.close()
        shm.unlink()
    return total / n * 1e6


def attacher(all_names, out):
    total = 0.0
    for name in all_names:
        t0 = time.perf_counter()
        shm = shared_memory.SharedMemory(name=name)
        total += time.perf_counter() - t0
        shm.close()
        # A forked child shares the parent's resource tracker: the parent's unlink
        # unregisters the name, so nothing is unlinked twice.
    out.put(total / len(all_names) * 1e6)


def attach(n):
    segs = [shared_memory.SharedMemory(name=name, create=True, size=SIZE) for name in names(n)]
    try:
        out = mp.Queue()
        p = mp.Process(target=attacher, args=([s.name for s in segs[: min(n, 200)]], out))  # warm-up
        p.start()
        out.get()
        p.join()
        p = mp.Process(target=attacher, args=([s.name for s in segs], out))
        p.start()
        us = out.get()
        p.join()
        return us
    finally:
        for s in segs:
            s.close()
            s.unlink()


def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    print({"create": create, "attach": attach}[mode](n))


if __name__ == "__main__":
    main()
