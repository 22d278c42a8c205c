// Runs the message-queue examples as users would and checks what they print.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

function runExample(name: string): Promise<string> {
  const file = fileURLToPath(new URL(`../examples/${name}`, import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [file], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${name}: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describe('message queue examples', () => {
  it.skipIf(process.platform !== 'linux')('mq-priorities: the worker prints jobs most urgent first', async () => {
    const out = await runExample('mq-priorities.js');
    const printed = [...out.matchAll(/printing (\S+)\s+\(priority (\d+)\)/g)].map((m) => [m[1], Number(m[2])]);
    expect(printed).toEqual([
      ['contract.pdf', 9], ['invoice-17.pdf', 5], ['report.pdf', 1], ['memo.txt', 1], ['photo.jpg', 0],
    ]);
    expect(out).toContain('worker exited with 0; 0 jobs left');
  });

  it('sysv-request-reply: every client gets its own answers', async () => {
    const out = await runExample('sysv-request-reply.js');
    const answers = [...out.matchAll(/client (\d+): (\d+) squared is (\d+)/g)];
    expect(answers).toHaveLength(6);
    for (const [, , n, sq] of answers) expect(Number(sq)).toBe(Number(n) ** 2);
    // Each client asked 11..13 or 21..23: its replies were its own.
    const byClient = new Map<string, number[]>();
    for (const [, pid, n] of answers) byClient.set(pid!, [...(byClient.get(pid!) ?? []), Number(n)]);
    expect([...byClient.values()].map((ns) => Math.floor(ns[0]! / 10)).sort()).toEqual([1, 2]);
    for (const ns of byClient.values()) expect(new Set(ns.map((n) => Math.floor(n / 10))).size).toBe(1);
    expect(out).toContain('server: served 6 requests');
  });
});
