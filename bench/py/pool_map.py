"""multiprocessing.Pool peer for bench/suites/pool.js.
Usage: pool_map.py map <n> <chunksize> <processes>   -> tasks/s of Pool.map over n trivial tasks
       pool_map.py rtt <n>                            -> µs per Pool.apply round trip (1 worker)
The pool starts and warms up untimed; the result is checked."""
import multiprocessing as mp
import sys
import time


def inc(x):
    return x + 1


def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    if mode == 'map':
        chunksize, procs = int(sys.argv[3]), int(sys.argv[4])
        with mp.Pool(procs) as pool:
            inputs = list(range(n))
            pool.map(inc, inputs[:10_000], chunksize)
            t0 = time.perf_counter()
            out = pool.map(inc, inputs, chunksize)
            dt = time.perf_counter() - t0
            if len(out) != n or out[-1] != n:
                raise SystemExit('wrong results')
        print(n / dt)
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
