// docs/api.md documents every public name: each runtime export of 'osipc'
// appears in it as code (`Name`).
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
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
});
