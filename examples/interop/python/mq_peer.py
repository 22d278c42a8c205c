"""POSIX message queue peer of examples/interop/mq.js, in plain Python.

    python3 mq_peer.py REQUESTS REPLIES

Opens two queues Node created, takes the requests highest priority first and
answers each on REPLIES, upper-cased, with the same priority, until the request b"quit".
The standard library has no POSIX mq module: this calls mq_open, mq_getattr,
mq_receive and mq_send in librt (libc on glibc 2.34+) through ctypes.
"""
import ctypes
import ctypes.util
import os
import signal
import sys

rt = ctypes.CDLL(ctypes.util.find_library("rt") or "librt.so.1", use_errno=True)


class MqAttr(ctypes.Structure):
    """struct mq_attr on Linux: four longs and reserved space."""
    _fields_ = [("mq_flags", ctypes.c_long), ("mq_maxmsg", ctypes.c_long),
                ("mq_msgsize", ctypes.c_long), ("mq_curmsgs", ctypes.c_long),
                ("reserved", ctypes.c_long * 4)]


rt.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int]  # without O_CREAT: no mode, no attr
rt.mq_open.restype = ctypes.c_int
rt.mq_getattr.argtypes = [ctypes.c_int, ctypes.POINTER(MqAttr)]
rt.mq_receive.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_uint)]
rt.mq_receive.restype = ctypes.c_ssize_t
rt.mq_send.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint]
rt.mq_close.argtypes = [ctypes.c_int]


def check(result, call, name):
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{call} {name}: {os.strerror(err)}")
    return result


def main(requests, replies):
    signal.alarm(30)  # SIGALRM ends us if the Node side goes away mid-exchange
    rx = check(rt.mq_open(requests.encode(), os.O_RDONLY), "mq_open", requests)
    tx = check(rt.mq_open(replies.encode(), os.O_WRONLY), "mq_open", replies)
    attr_in, attr_out = MqAttr(), MqAttr()
    check(rt.mq_getattr(rx, ctypes.byref(attr_in)), "mq_getattr", requests)
    check(rt.mq_getattr(tx, ctypes.byref(attr_out)), "mq_getattr", replies)
    # mq_receive needs a buffer of at least mq_msgsize bytes (else EMSGSIZE).
    buf = ctypes.create_string_buffer(attr_in.mq_msgsize)
    prio = ctypes.c_uint()
    while True:
        n = check(rt.mq_receive(rx, buf, attr_in.mq_msgsize, ctypes.byref(prio)), "mq_receive", requests)
        data = buf.raw[:n]  # bytes, exactly what Node sent
        if data == b"quit":
            break
        print(f"Python: got {data.decode()!r} at priority {prio.value}", flush=True)
        reply = (data.upper() + b" from Python")[: attr_out.mq_msgsize]
        check(rt.mq_send(tx, reply, len(reply), prio.value), "mq_send", replies)
    rt.mq_close(rx)
    rt.mq_close(tx)  # close only: the queues are Node's to unlink


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: mq_peer.py REQUESTS REPLIES")
    main(sys.argv[1], sys.argv[2])
