// Pipe(): two connected Connection ends, as Python's multiprocessing.Pipe.
import { Connection } from './connection.js';
import { DEFAULT_MAX_MESSAGE_SIZE, MAX_MESSAGE_SIZE_LIMIT } from './frames.js';
import { pipeIo } from './os/pipe.js';
import { validateSpin } from './spin.js';
import { validateBoolean, validateInteger, validateOptions } from './validate.js';

export interface PipeOptions {
  /**
   * true (default): both ends send and receive (a socketpair, which can also
   * carry osipc objects that travel as fds). false: the first end only
   * receives and the second only sends (a pipe).
   */
  duplex?: boolean;
  /** Largest message, in bytes, for both ends (default 64 MiB). */
  maxMessageSize?: number;
  /** `spin` of both ends in this process: µs a recv polls before it sleeps (default 0). */
  spin?: number;
}

/** `[receiver, sender]` when simplex; two equal ends when duplex. */
export function Pipe(options?: PipeOptions): [Connection, Connection] {
  const o = validateOptions(options);
  const duplex = o.duplex === undefined ? true : validateBoolean(o.duplex, 'options.duplex');
  const maxMessageSize = o.maxMessageSize === undefined
    ? DEFAULT_MAX_MESSAGE_SIZE
    : validateInteger(o.maxMessageSize, 'options.maxMessageSize', 1, MAX_MESSAGE_SIZE_LIMIT);
  const spin = o.spin === undefined ? 0 : validateSpin(o.spin, 'options.spin');
  const ends = makeEnds(duplex, maxMessageSize);
  for (const end of ends) end.spin = spin;
  return ends;
}

function makeEnds(duplex: boolean, maxMessageSize: number): [Connection, Connection] {
  if (duplex) {
    const [a, b] = pipeIo.socketpair(true);
    const init = { readable: true, writable: true, maxMessageSize, socket: true };
    return [Connection.adopt(a, init), Connection.adopt(b, init)];
  }
  const [r, w] = pipeIo.pipe(true);
  return [
    Connection.adopt(r, { readable: true, writable: false, maxMessageSize, socket: false }),
    Connection.adopt(w, { readable: false, writable: true, maxMessageSize, socket: false }),
  ];
}
