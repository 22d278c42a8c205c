"""Read and write osipc Value and SharedArray segments from Python.

The layout is documented in docs/interop/values.md: a 128-byte header
(little-endian) and then the elements in native byte order. Everything read
from the header is checked before use.

    python3 osipc_value.py read /osipc-123-abc          # prints the segment as JSON
    python3 osipc_value.py write /osipc-123-abc 0 42    # element 0 = 42
    python3 osipc_value.py create /my-value i 6000      # makes a Value, waits for a line on stdin,
                                                        # prints it again, then unlinks it
    python3 osipc_value.py create --array /my-array d 1.5 2.5
"""
import json
import struct
import sys
from multiprocessing import shared_memory

MAGIC = b"OSVL"
VERSION = 2
HEADER_SIZE = 128
LOCK_OFFSET = 64
FLAG_LOCK = 1
FLAG_ARRAY = 2
# magic, version, header size, typecode, item size, flags, reserved, count
HEADER = struct.Struct("<4sHHBBHIQ")
# Element formats with explicit little-endian, standard sizes: Python's array
# codes 'l'/'L' are C long, 8 bytes on LP64 (Linux, macOS), so they are 'q'/'Q' here.
FORMATS = {"b": "b", "B": "B", "h": "h", "H": "H", "i": "i", "I": "I", "l": "q", "L": "Q",
           "q": "q", "Q": "Q", "f": "f", "d": "d", "c": "c"}
SIZES = {code: struct.calcsize("<" + fmt) for code, fmt in FORMATS.items()}


def attach(name):
    """Opens an existing segment without ever unlinking it (we are not its owner)."""
    name = name.lstrip("/")
    try:
        return shared_memory.SharedMemory(name=name, track=False)  # Python 3.13+
    except TypeError:
        shm = shared_memory.SharedMemory(name=name)
        # Before 3.13 an attach registers with the resource tracker, which would
        # unlink the segment when this process exits.
        from multiprocessing import resource_tracker
        resource_tracker.unregister(shm._name, "shared_memory")
        return shm


class Segment:
    """A validated view of an osipc Value/Array segment."""

    def __init__(self, shm):
        self.shm = shm
        buf = shm.buf
        if len(buf) < HEADER_SIZE:
            raise ValueError(f"segment is {len(buf)} bytes, smaller than the header")
        magic, version, header_size, code, item_size, flags, _, count = HEADER.unpack_from(buf, 0)
        if magic != MAGIC:
            raise ValueError(f"bad magic {magic!r}")
        if version != VERSION or header_size != HEADER_SIZE:
            raise ValueError(f"layout version {version} / header size {header_size} not supported")
        self.typecode = chr(code)
        if self.typecode not in FORMATS or SIZES[self.typecode] != item_size:
            raise ValueError(f"unknown typecode {code:#x} or item size {item_size}")
        if count < 1 or HEADER_SIZE + count * item_size > len(buf):
            raise ValueError(f"count {count} does not fit the segment")
        self.count = count
        self.flags = flags
        self.fmt = "<" + FORMATS[self.typecode]

    def __len__(self):
        return self.count

    def _offset(self, i):
        if not 0 <= i < self.count:
            raise IndexError(i)
        return HEADER_SIZE + i * SIZES[self.typecode]

    def __getitem__(self, i):
        return struct.unpack_from(self.fmt, self.shm.buf, self._offset(i))[0]

    def __setitem__(self, i, v):
        struct.pack_into(self.fmt, self.shm.buf, self._offset(i), v)

    @property
    def value(self):
        return self[0]

    @value.setter
    def value(self, v):
        self[0] = v


def create(name, typecode, values, array=False, lock=True):
    """Creates a segment osipc's Value.open()/SharedArray.open() accept."""
    size = SIZES[typecode]
    shm = shared_memory.SharedMemory(name=name.lstrip("/"), create=True, size=HEADER_SIZE + len(values) * size)
    flags = (FLAG_LOCK if lock else 0) | (FLAG_ARRAY if array else 0)
    # Everything but the magic first, so no reader takes a half-written header as valid.
    HEADER.pack_into(shm.buf, 0, b"\0\0\0\0", VERSION, HEADER_SIZE, ord(typecode), size, flags, 0, len(values))
    for i, v in enumerate(values):
        struct.pack_into("<" + FORMATS[typecode], shm.buf, HEADER_SIZE + i * size, v)
    shm.buf[0:4] = MAGIC
    return shm


def parse(typecode, text):
    if typecode in "fd":
        return float(text)
    if typecode == "c":
        return text.encode("latin-1")
    return int(text)


def show(seg):
    def out(v):
        return v.decode("latin-1") if isinstance(v, bytes) else (v if isinstance(v, float) else str(v))
    return json.dumps({"typecode": seg.typecode, "count": seg.count, "flags": seg.flags,
                       "values": [out(seg[i]) for i in range(seg.count)]})


def main(argv):
    cmd = argv[0]
    if cmd == "read":
        shm = attach(argv[1])
        print(show(Segment(shm)))
        shm.close()
    elif cmd == "write":
        shm = attach(argv[1])
        seg = Segment(shm)
        seg[int(argv[2])] = parse(seg.typecode, argv[3])
        shm.close()
    elif cmd == "create":
        array = argv[1] == "--array"
        rest = argv[2:] if array else argv[1:]
        name, typecode, values = rest[0], rest[1], [parse(rest[1], t) for t in rest[2:]]
        shm = create(name, typecode, values, array=array)
        print("ready", flush=True)
        sys.stdin.readline()
        print(show(Segment(shm)), flush=True)
        shm.close()
        shm.unlink()
    else:
        raise SystemExit(f"unknown command {cmd!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
