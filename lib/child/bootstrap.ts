// The child side of Process, run as `node [parent's execArgv] dist/child/bootstrap.js`.
// fd 3 is the control channel; fds 4, 5, ... are the handles of the osipc
// objects in the arguments. Reads the start message, imports the module,
// says 'ready', calls the function and sends back its value or its error.
// It loads as little as it can before 'ready' (start() latency): the package
// root, which registers every transferable kind, only when the arguments hold
// osipc objects (a module that uses osipc imports it anyway).
import { inspect } from 'node:util';
import { ControlChannel } from '../control.js';
import { fdBinding } from '../os/fd.js';
import { hasHandles, packHandles, unpackHandles } from '../transfer.js';
import { codedError, report } from './report.js';

const CONTROL_FD = 3;
const FIRST_HANDLE_FD = 4;

interface StartMessage {
  kind: 'start';
  module: string;
  fn: string;
  args: unknown;
  fdCount: number;
  name: string;
  daemon: boolean;
  identity: number[];
}

async function main(): Promise<void> {
  // Our own programs must not inherit the channel or the handles.
  fdBinding.setCloseOnExec(CONTROL_FD, true);
  const channel = new ControlChannel(CONTROL_FD);
  const start = channel.receiveSync() as StartMessage;
  const fds: number[] = [];
  for (let i = 0; i < start.fdCount; i++) {
    fdBinding.setCloseOnExec(FIRST_HANDLE_FD + i, true);
    fds.push(FIRST_HANDLE_FD + i);
  }
  // What currentProcess() reads (lib/process.ts), without loading it here.
  (globalThis as Record<symbol, unknown>)[Symbol.for('osipc.currentProcess')] =
    { name: start.name, daemon: start.daemon, identity: start.identity, counter: 0 };

  // End of file on the channel: the parent is gone. A daemon follows it.
  channel.startReading(() => {}, () => {
    if (start.daemon) process.kill(process.pid, 'SIGKILL');
  });

  let reported = false;
  // An error thrown outside the function (a timer, an unhandled rejection):
  // Node prints it and exits with 1; tell the parent first.
  process.on('uncaughtExceptionMonitor', (err) => {
    if (reported) return;
    reported = true;
    try {
      channel.sendSync({ kind: 'error', phase: 'run', error: report(err) });
    } catch { /* the parent is gone */ }
  });

  let fn: (...args: unknown[]) => unknown;
  let args: unknown[];
  try {
    const mod = await import(start.module) as Record<string, unknown>;
    if (!(start.fn in mod)) {
      throw codedError(`${start.module} has no export named "${start.fn}"`, 'ERR_OSIPC_NO_EXPORT');
    }
    const f = mod[start.fn];
    if (typeof f !== 'function') {
      throw codedError(`export "${start.fn}" of ${start.module} is not a function (it is ${f === null ? 'null' : typeof f})`,
        'ERR_OSIPC_NOT_A_FUNCTION');
    }
    fn = f as typeof fn;
    if (hasHandles(start.args)) await import('../index.js');
    args = unpackHandles(start.args, fds) as unknown[];
  } catch (err) {
    reported = true;
    try {
      channel.sendSync({ kind: 'error', phase: 'load', error: report(err) });
    } catch { /* the parent is gone */ }
    process.exit(1);
  }

  // Synchronously: a function that computes for a long time before its first
  // await must not delay 'ready'.
  channel.sendSync({ kind: 'ready' });
  try {
    const value = await fn(...args);
    const packed = packHandles(value);
    if (packed.fds.length > 0) {
      throw codedError('the returned value holds file descriptors (pipes, sockets); send them over a Connection instead',
        'ERR_OSIPC_NOT_RETURNABLE');
    }
    await channel.send({ kind: 'result', value: packed.value });
  } catch (err) {
    reported = true;
    process.exitCode = 1;
    // As Python does, the child prints the failure too.
    process.stderr.write(`Process ${start.name}:\n${err instanceof Error ? err.stack : inspect(err)}\n`);
    try {
      await channel.send({ kind: 'error', phase: 'run', error: report(err) });
    } catch { /* the parent is gone */ }
  }
}

void main();
