"""multiprocessing.Pool peer for bench/suites/pool.js.
Usage: pool_map.py map <n> <chunksize> <processes>   -> tasks/s of Pool.map over n trivial tasks
       pool_map.py rtt <n>                            -> µs per Pool.apply round trip (1 worker)
Untimed first, as in the other peers: every worker has started and answered,
then the measured call runs WARMUPS times. The figure is the median of REPS timed
calls; every result is checked."""
import multiprocessing as mp
import os
import statistics
import sys
import time

REPS = 7
WARMUPS = 5  # untimed calls first, as in the Node peers (whose JIT needs them)


def inc(x):
    return x + 1


def pid(_):
    return os.getpid()


def all_started(pool, procs):
    # Workers start in the background; ask until every one has answered.
    seen = set()
    end = time.monotonic() + 60
    while len(seen) < procs:
        if time.monotonic() > end:
            raise SystemExit('the workers did not all start')
        seen.update(pool.map(pid, range(procs * 2), 1))
        if len(seen) < procs:
            time.sleep(0.02)


def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    if mode == 'map':
        chunksize, procs = int(sys.argv[3]), int(sys.argv[4])
        with mp.Pool(procs) as pool:
            all_started(pool, procs)
            inputs = list(range(n))
            for _ in range(WARMUPS):
                pool.map(inc, inputs, chunksize)
            times = []
            for _ in range(REPS):
                t0 = time.perf_counter()
                out = pool.map(inc, inputs, chunksize)
                times.append(time.perf_counter() - t0)
                if len(out) != n or out[0] != 1 or out[-1] != n:
                    raise SystemExit('wrong results')
        print(n / statistics.median(times))
    elif mode == 'rtt':
        with mp.Pool(1) as pool:
            for i in range(min(n, 1000)):
                pool.apply(inc, (i,))
            t0 = time.perf_counter()
            for i in range(n):
                if pool.apply(inc, (i,)) != i + 1:
                    raise SystemExit('wrong result')
            dt = time.perf_counter() - t0
        print(dt * 1e6 / n)
    else:
        raise SystemExit(f'unknown mode {mode}')


if __name__ == '__main__':
    mp.set_start_method('spawn')
    main()
