"""multiprocessing.Value peer: locked increments by 2 processes.
Usage: value_lock.py <n>
Two processes each do n times `with v.get_lock(): v.value += 1` on one
Value('i'), started together; prints the total increments per second (2n over
the span from the first start to the last finish). Checks the total is exact."""
import multiprocessing as mp
import sys
import time


def worker(v, n, ready, go, times):
    lock = v.get_lock()
    for _ in range(min(n, 10_000)):  # warm-up, untimed
        with lock:
            v.value += 1
    ready.release()
    go.wait()
    t0 = time.perf_counter()
    for _ in range(n):
        with lock:
            v.value += 1
    times.put((t0, time.perf_counter()))


def main():
    n = int(sys.argv[1])
    v = mp.Value('i', 0)
    ready, go, times = mp.Semaphore(0), mp.Event(), mp.Queue()
    procs = [mp.Process(target=worker, args=(v, n, ready, go, times)) for _ in range(2)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.acquire()
    go.set()
    spans = [times.get() for _ in procs]
    for p in procs:
        p.join()
    expected = 2 * (n + min(n, 10_000))
    if v.value != expected:
        raise SystemExit(f"lost updates: {v.value} != {expected}")
    # perf_counter is CLOCK_MONOTONIC on Linux: comparable across processes.
    start = min(s for s, _ in spans)
    end = max(e for _, e in spans)
    print(2 * n / (end - start))


if __name__ == '__main__':
    main()
