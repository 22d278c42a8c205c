# Python's multiprocessing.Manager().dict(): microseconds of one d['count'] = i
# plus d['count'] round trip pair, from the process that started the manager
# (the peer of bench/peers/manager-bench.js rtt).
import multiprocessing as mp
import sys
import time


def main():
    n = int(sys.argv[2])
    with mp.Manager() as m:
        d = m.dict({'count': 0})
        for i in range(min(n, 1000)):
            d['count'] = i
            d['count']
        t0 = time.perf_counter()
        for i in range(n):
            d['count'] = i
            if d['count'] != i:
                raise SystemExit('wrong value')
        dt = time.perf_counter() - t0
    print(dt * 1e6 / n)


if __name__ == '__main__':
    mp.set_start_method('spawn')
    main()
