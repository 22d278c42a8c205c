"""multiprocessing.Lock acquire+release per second in one process, uncontended.
Usage: lock_uncontended.py <n>. Prints operations per second."""
import multiprocessing as mp
import sys
import time


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
    lock = mp.Lock()
    acquire, release = lock.acquire, lock.release
    for _ in range(n // 5):
        acquire()
        release()
    t0 = time.perf_counter()
    for _ in range(n):
        acquire()
        release()
    t = time.perf_counter() - t0
    print(round(n / t))


if __name__ == '__main__':
    main()
