"""multiprocessing.Lock ping-pong. Usage: lock_pingpong.py <n>
Two Locks used as Python allows (released by the other process): the parent
releases "ping" and acquires "pong"; the child does the reverse.
Prints microseconds per round trip."""
import multiprocessing as mp
import sys
import time


def child(ping, pong, n):
    for _ in range(n):
        ping.acquire()
        pong.release()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    warm = n // 10 + 1
    ping, pong = mp.Lock(), mp.Lock()
    ping.acquire()
    pong.acquire()
    p = mp.Process(target=child, args=(ping, pong, warm + n))
    p.start()
    for _ in range(warm):
        ping.release()
        pong.acquire()
    t0 = time.perf_counter()
    for _ in range(n):
        ping.release()
        pong.acquire()
    t = time.perf_counter() - t0
    p.join()
    print(f"{t / n * 1e6:.3f}")


if __name__ == '__main__':
    main()
