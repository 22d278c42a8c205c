// docs/api.md documents every public name: each runtime export of 'osipc'
// appears in it as code (`Name`).
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as osipc from 'osipc';
// @ts-expect-error: a plain JS build script without types
import { assemble } from '../docs/assemble.js';

const doc = readFileSync(new URL('../docs/api.md', import.meta.url), 'utf8');

describe('docs/api.md', () => {
  it('names every export of the package', () => {
    const missing = Object.keys(osipc).filter((name) => !new RegExp(`\\b${name}\\b`).test(doc));
    expect(missing).toEqual([]);
  });

  it('is in step with its fragments in docs/api/ (run `npm run docs`)', () => {
    expect(doc === assemble()).toBe(true);
  });

  it('has a runnable snippet in every section', () => {
    const sections = doc.split(/\n## /).slice(1);
    const withoutCode = sections.filter((s) => !s.includes('```js')).map((s) => s.split('\n')[0]);
    expect(withoutCode).toEqual([]);
  });

  it('links only to files that exist (README.md and docs/)', () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const pages = ['README.md', 'examples/interop/README.md',
      ...readdirSync(join(root, 'docs'), { recursive: true, encoding: 'utf8' })
        // Fragments in docs/api/ link as the assembled docs/api.md, which is checked.
        .filter((f) => f.endsWith('.md') && !f.startsWith('api/')).map((f) => join('docs', f))];
    const broken: string[] = [];
    for (const page of pages.filter((p) => existsSync(join(root, p)))) {
      const text = readFileSync(join(root, page), 'utf8');
      for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        const target = m[1].split('#')[0];
        if (!target || /^[a-z]+:/.test(target)) continue;   // an anchor in the page, or a URL
        if (!existsSync(join(root, dirname(page), target))) broken.push(`${page}: ${m[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
