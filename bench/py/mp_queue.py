"""multiprocessing.Queue peer. Usage: mp_queue.py rtt|tput <n>
rtt: microseconds per round trip of {'i', 's': 'hello'} through two queues.
tput: messages per second one way (a child puts n, the parent gets n).
Prints one number."""
import multiprocessing as mp
import sys
import time


def child(inq, outq):
    while True:
        m = inq.get()
        if m is None:
            return
        if isinstance(m, int):  # throughput: put m messages
            for i in range(m):
                outq.put({'i': i, 's': 'hello'})
        else:  # round trip: echo
            outq.put(m)


def rtt(inq, outq, n):
    for i in range(n):
        inq.put({'i': i, 's': 'hello'})
        outq.get()


def tput(inq, outq, n):
    inq.put(n)
    for _ in range(n):
        outq.get()


def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    run = {'rtt': rtt, 'tput': tput}[mode]
    inq, outq = mp.Queue(), mp.Queue()
    p = mp.Process(target=child, args=(inq, outq))
    p.start()
    run(inq, outq, min(n, 1000))  # warm-up, untimed
    t0 = time.perf_counter()
    run(inq, outq, n)
    dt = time.perf_counter() - t0
    inq.put(None)
    p.join()
    print(dt / n * 1e6 if mode == 'rtt' else n / dt)


if __name__ == '__main__':
    main()
