// Connections passed to a Process as arguments work in the child (fd
// inheritance), shared ends included. Runs once Process is in the package.
import { describe, expect, it } from 'vitest';
import * as osipc from 'osipc';
import { fixture } from './helpers/spawn-args.js';

type ProcessLike = { start(): Promise<void>; join(): Promise<number | null>; exitCode: number | null; result: unknown };
const Process = (osipc as unknown as { Process?: new (o: object) => ProcessLike }).Process;
const workers = fixture('conn-workers.js');

describe.skipIf(typeof Process !== 'function')('Connection as a Process argument', () => {
  it('echoes over a duplex Pipe end given to a Process', async () => {
    const [a, b] = osipc.Pipe();
    const p = new Process!({ module: workers, fn: 'echo', args: [b] });
    await p.start();
    b.close();
    for (let i = 0; i < 100; i++) await a.send({ i, big: 'x'.repeat(i * 100) });
    for (let i = 0; i < 100; i++) expect(await a.recv({ timeout: 10_000 })).toEqual({ i, big: 'x'.repeat(i * 100) });
    a.close();
    await p.join();
    expect(p.exitCode).toBe(0);
  });

  it('three Processes share one receiving end: every message once', async () => {
    const [r, w] = osipc.Pipe({ duplex: false });
    const ps = ['c1', 'c2', 'c3'].map((name) => new Process!({ module: workers, fn: 'consume', args: [r, name] }));
    for (const p of ps) await p.start();
    r.close();
    for (let i = 0; i < 3000; i++) await w.send({ i });
    for (let i = 0; i < 3; i++) await w.send(null);
    w.close();
    let n = 0;
    let sum = 0;
    for (const p of ps) {
      await p.join();
      expect(p.exitCode).toBe(0);
      const res = p.result as { n: number; sum: number };
      n += res.n;
      sum += res.sum;
    }
    expect(n).toBe(3000);
    expect(sum).toBe((3000 * 2999) / 2);
  });
});
