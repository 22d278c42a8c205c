// The only file that loads the native addon. Each layer-1 module describes the
// functions it uses with its own interface and casts `native` to it.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const load = require('node-gyp-build') as (dir: string) => unknown;

/** The package root: dist/binding.js lives one level below it. */
export const packageRoot = fileURLToPath(new URL('..', import.meta.url));

export const native = load(packageRoot) as Record<string, unknown>;
