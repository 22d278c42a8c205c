"""System V message queue peer of examples/interop/sysv.js, over sysv_ipc.

    /usr/bin/python3 sysv_peer.py KEY       (KEY: 0x4f001234 or decimal)

Opens the queue Node created with that key, receives numbers as type 1 and
answers each with its square as type 2, until b"quit". Needs the sysv_ipc
module: Debian's python3-sysv-ipc (installed for /usr/bin/python3, not for a
pyenv or venv python3) or `pip install sysv_ipc`.
"""
import signal
import sys

import sysv_ipc


def main(key):
    signal.alarm(30)  # SIGALRM ends us if the Node side goes away mid-exchange
    q = sysv_ipc.MessageQueue(key)  # no flags: open only, never create
    while True:
        data, _type = q.receive(type=1)  # the first message of type 1
        if data == b"quit":
            break
        number = int(data)
        print(f"Python: got {number}, answering {number * number}", flush=True)
        q.send(str(number * number).encode(), type=2)
    # nothing to close: the queue is Node's to remove


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: sysv_peer.py KEY")
    main(int(sys.argv[1], 0))
