// How a child describes an error to its parent (rebuilt there by remoteError
// in lib/process.ts). Shared by the Process bootstrap and the pool worker.
import { inspect } from 'node:util';

export function report(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const e = err as NodeJS.ErrnoException;
    return {
      name: e.name,
      message: e.message,
      stack: e.stack ?? `${e.name}: ${e.message}`,
      code: typeof e.code === 'string' ? e.code : undefined,
      errno: typeof e.errno === 'number' ? e.errno : undefined,
      syscall: typeof e.syscall === 'string' ? e.syscall : undefined,
      path: typeof e.path === 'string' ? e.path : undefined,
    };
  }
  const text = inspect(err);
  return { name: 'Error', message: `a non-Error value was thrown: ${text}`, stack: `thrown: ${text}` };
}

export function codedError(message: string, code: string): TypeError {
  const err = new TypeError(message);
  (err as { code?: string }).code = code;
  return err;
}
