"""multiprocessing.Pipe peer. Usage: mp_pipe.py rtt|tput <n>
rtt: microseconds per round trip of {'i', 's': 'hello'} over a duplex Pipe.
tput: messages per second one way (the child sends n, the parent receives n).
Prints one number."""
import multiprocessing as mp
import sys
import time


def child(conn):
    while True:
        m = conn.recv()
        if m is None:
            return
        if isinstance(m, int):  # throughput: send m messages
            for i in range(m):
                conn.send({'i': i, 's': 'hello'})
        else:  # round trip: echo
            conn.send(m)


def rtt(conn, n):
    for i in range(n):
        conn.send({'i': i, 's': 'hello'})
        conn.recv()


def tput(conn, n):
    conn.send(n)
    for _ in range(n):
        conn.recv()


def main():
    mode, n = sys.argv[1], int(sys.argv[2])
    run = {'rtt': rtt, 'tput': tput}[mode]
    ours, theirs = mp.Pipe()
    p = mp.Process(target=child, args=(theirs,))
    p.start()
    theirs.close()
    run(ours, min(n, 1000))  # warm-up, untimed
    t0 = time.perf_counter()
    run(ours, n)
    dt = time.perf_counter() - t0
    ours.send(None)
    p.join()
    print(dt / n * 1e6 if mode == 'rtt' else n / dt)


if __name__ == '__main__':
    main()
