// The system limits on POSIX message queues (Linux /proc/sys/fs/mqueue and the
// per-user RLIMIT_MSGQUEUE), used for the defaults of MessageQueue.create and
// to say which limit an mq_open failure ran into and how to raise it.
import { readFileSync } from 'node:fs';
import type { SystemError } from '../errors.js';

const DIR = '/proc/sys/fs/mqueue';
// Linux's hard ceilings (HARD_MSGMAX, HARD_MSGSIZEMAX): even a process with
// CAP_SYS_RESOURCE cannot go past them.
const HARD_MSGMAX = 65536;
const HARD_MSGSIZEMAX = 16 * 1024 * 1024;

type LimitFile = 'msg_max' | 'msgsize_max' | 'msg_default' | 'msgsize_default' | 'queues_max';

export function readMqLimit(file: LimitFile): number | undefined {
  try {
    const n = Number(readFileSync(`${DIR}/${file}`, 'utf8').trim());
    return Number.isSafeInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What mq_open gives without attributes, made explicit: the system default
 * depth and size, never above what an unprivileged process may ask for.
 */
export function mqDefaults(): { maxMessages: number; messageSize: number } {
  const msgMax = readMqLimit('msg_max') ?? 10;
  const sizeMax = readMqLimit('msgsize_max') ?? 8192;
  return {
    maxMessages: Math.min(readMqLimit('msg_default') ?? msgMax, msgMax),
    messageSize: Math.min(readMqLimit('msgsize_default') ?? sizeMax, sizeMax),
  };
}

/** RLIMIT_MSGQUEUE of this process in bytes (soft limit), from /proc/self/limits. */
function msgqueueRlimit(): string {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max msgqueue size'));
    const soft = line?.slice('Max msgqueue size'.length).trim().split(/\s+/)[0];
    return soft ? `${soft} bytes` : 'unknown';
  } catch {
    return 'unknown';
  }
}

export interface MqLimitError extends SystemError {
  /** The limit that was hit: a /proc path or 'RLIMIT_MSGQUEUE'. */
  limit?: string;
}

/**
 * Adds to an mq_open error (EINVAL, EMFILE, ENOSPC, EPERM) which system limit
 * the request ran into and how to raise it. Code, errno and syscall are kept.
 */
export function explainMqOpenError(err: MqLimitError, maxMessages: number, messageSize: number): MqLimitError {
  let limit: string | undefined;
  let advice: string | undefined;
  const base = err.message;
  switch (err.code) {
    case 'EINVAL': {
      const msgMax = readMqLimit('msg_max');
      const sizeMax = readMqLimit('msgsize_max');
      if (maxMessages > HARD_MSGMAX || messageSize > HARD_MSGSIZEMAX) {
        limit = maxMessages > HARD_MSGMAX ? 'HARD_MSGMAX' : 'HARD_MSGSIZEMAX';
        advice = `maxMessages ${maxMessages} / messageSize ${messageSize} exceed the kernel's fixed ` +
          `ceiling (${HARD_MSGMAX} messages, ${HARD_MSGSIZEMAX} bytes), which no setting raises`;
      } else if (msgMax !== undefined && maxMessages > msgMax) {
        limit = `${DIR}/msg_max`;
        advice = `maxMessages ${maxMessages} is above ${limit} (${msgMax}); ask for fewer, or raise it as root ` +
          `with 'sysctl -w fs.mqueue.msg_max=${maxMessages}' (or run with CAP_SYS_RESOURCE)`;
      } else if (sizeMax !== undefined && messageSize > sizeMax) {
        limit = `${DIR}/msgsize_max`;
        advice = `messageSize ${messageSize} is above ${limit} (${sizeMax}); ask for less, or raise it as root ` +
          `with 'sysctl -w fs.mqueue.msgsize_max=${messageSize}' (or run with CAP_SYS_RESOURCE)`;
      }
      break;
    }
    case 'EMFILE':
      limit = 'RLIMIT_MSGQUEUE';
      advice = `the queue needs about ${maxMessages} x ${messageSize} bytes plus kernel overhead from the ` +
        `user's RLIMIT_MSGQUEUE (this process: ${msgqueueRlimit()}), shared by all of the user's queues, or the ` +
        `process is out of descriptors (RLIMIT_NOFILE); ask for a smaller maxMessages x messageSize, unlink ` +
        `queues no longer needed, or raise the limit ('ulimit -q <bytes>', LimitMSGQUEUE= in a systemd unit, ` +
        `'msgqueue' in /etc/security/limits.conf)`;
      break;
    case 'ENOSPC': {
      limit = `${DIR}/queues_max`;
      advice = `the system already holds ${limit} (${readMqLimit('queues_max') ?? '?'}) queues; unlink queues ` +
        `no longer needed, or raise it as root with 'sysctl -w fs.mqueue.queues_max=<n>'`;
      break;
    }
    case 'EPERM':
      advice = 'the request needs a privilege (CAP_SYS_RESOURCE) this process lacks; ask for the defaults';
      break;
    default:
      return err;
  }
  if (limit !== undefined) err.limit = limit;
  if (advice !== undefined) {
    const stack = err.stack; // formatted lazily: read it before the message changes
    err.message = `${base}: ${advice}`;
    if (stack) err.stack = stack.replace(base, err.message);
  }
  return err;
}
