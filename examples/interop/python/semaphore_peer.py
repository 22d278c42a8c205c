"""Named semaphore peer of examples/interop/semaphore.js, in plain Python.

    python3 semaphore_peer.py PING PONG ROUNDS

Opens two semaphores Node created; ROUNDS times waits for PING (at most 20 s),
then posts PONG. The standard library has no named semaphores of its own
(multiprocessing's are anonymous to other programs), so this calls sem_open,
sem_timedwait and sem_post through ctypes. The posix_ipc package
(posix_ipc.Semaphore(name)) does the same.
"""
import ctypes
import ctypes.util
import errno
import os
import sys
import time

# sem_open & co. live in libc on glibc 2.34+, in libpthread before.
libc = ctypes.CDLL(ctypes.util.find_library("pthread") or ctypes.util.find_library("c"), use_errno=True)


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


libc.sem_open.argtypes = [ctypes.c_char_p, ctypes.c_int]  # without O_CREAT: no mode, no value
libc.sem_open.restype = ctypes.c_void_p
libc.sem_timedwait.argtypes = [ctypes.c_void_p, ctypes.POINTER(Timespec)]
for fn in (libc.sem_post, libc.sem_close):
    fn.argtypes = [ctypes.c_void_p]


def sem_open(name):
    sem = libc.sem_open(name.encode(), 0)
    if sem in (None, ctypes.c_void_p(-1).value):  # SEM_FAILED: 0 on Linux, -1 on macOS
        err = ctypes.get_errno()
        raise OSError(err, f"sem_open {name}: {os.strerror(err)}")
    return sem


def wait(sem, name, seconds):
    # An absolute CLOCK_REALTIME deadline, as sem_timedwait wants.
    deadline = time.time() + seconds
    ts = Timespec(int(deadline), int((deadline % 1) * 1e9))
    while libc.sem_timedwait(sem, ctypes.byref(ts)) != 0:
        err = ctypes.get_errno()
        if err != errno.EINTR:  # ETIMEDOUT: Node never posted
            raise OSError(err, f"sem_timedwait {name}: {os.strerror(err)}")


def main(ping_name, pong_name, rounds):
    ping, pong = sem_open(ping_name), sem_open(pong_name)
    for round_ in range(1, rounds + 1):
        wait(ping, ping_name, 20)
        print(f"Python: round {round_}: got ping, posting pong", flush=True)
        if libc.sem_post(pong) != 0:
            raise OSError(ctypes.get_errno(), f"sem_post {pong_name}")
    libc.sem_close(ping)
    libc.sem_close(pong)  # close only: the names are Node's to unlink


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: semaphore_peer.py PING PONG ROUNDS")
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
