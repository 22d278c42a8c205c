// Every ```js snippet in docs/api.md and README.md is a program that runs: each is written to a
// scratch directory inside the package (so `import ... from 'osipc'` resolves to
// this build, as it does for a user) and run with node; it must exit 0.
// A snippet whose first line is `// file: NAME` is a support file another snippet
// uses (a module for a Process or Pool, a child program): it is written under
// that name before the others run, and not run by itself.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { collect, packageRoot } from './helpers/child.js';

interface Snippet { page: string; line: number; code: string; file: string | null }

function snippets(page: string): Snippet[] {
  const doc = readFileSync(join(packageRoot, page), 'utf8');
  const found: Snippet[] = [];
  const re = /```js\n([\s\S]*?)```/g;
  for (let m = re.exec(doc); m; m = re.exec(doc)) {
    const code = m[1];
    const file = /^\/\/ file: (\S+)/.exec(code)?.[1] ?? null;
    found.push({ page, line: doc.slice(0, m.index).split('\n').length, code, file });
  }
  return found;
}

const all = [...snippets('docs/api.md'), ...snippets('README.md')];
const dir = mkdtempSync(join(packageRoot, '.snippets-'));
for (const s of all) if (s.file) writeFileSync(join(dir, s.file), s.code);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the snippets of docs/api.md and README.md run', () => {
  it.each(all.filter((s) => !s.file).map((s) => [s.page, s.line, s] as const))('%s line %i', async (page, line, s) => {
    const path = join(dir, `snippet-${page.replace(/\W/g, '-')}-${line}.mjs`);
    writeFileSync(path, s.code);
    const child = spawn(process.execPath, [path], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const r = await collect(child, 30_000);
    expect({ page, line, code: r.code, signal: r.signal, stderr: r.stderr }).toEqual(
      { page, line, code: 0, signal: null, stderr: expect.any(String) });
  });
});
