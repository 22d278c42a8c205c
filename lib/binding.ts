// The only file that loads the native addon. Each layer-1 module describes the
// functions it uses with its own interface and casts `native` to it.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package root: dist/binding.js lives one level below it. */
export const packageRoot = fileURLToPath(new URL('..', import.meta.url));

// node-gyp-build's first choice is the local build; loading it directly skips
// the CommonJS loader (about 5 ms of every process's start, Process children
// included). Prebuilds, PREBUILDS_ONLY and OSIPC_PREBUILD go through node-gyp-build.
function load(): Record<string, unknown> {
  const local = `${packageRoot}build/Release/osipc.node`;
  if (!process.env.PREBUILDS_ONLY && !process.env.OSIPC_PREBUILD && existsSync(local)) {
    const module = { exports: {} as Record<string, unknown> };
    process.dlopen(module, local);
    return module.exports;
  }
  return loadWithNodeGypBuild();
}

function loadWithNodeGypBuild(): Record<string, unknown> {
  const require = process.getBuiltinModule?.('node:module')?.createRequire(import.meta.url);
  if (!require) throw new Error('osipc: cannot load the addon (no createRequire)');
  return (require('node-gyp-build') as (dir: string) => Record<string, unknown>)(packageRoot);
}

export const native = load();
