// Builds the C peers in bench/c/ with the system compiler, once per source change.
import { spawnSync } from 'node:child_process';
import { mkdirSync, renameSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const SOURCES = fileURLToPath(new URL('../c/', import.meta.url));
const BUILD = fileURLToPath(new URL('../.build/', import.meta.url));
const CC = process.env.CC || 'cc';
// librt is its own library on older glibc only; macOS has none.
const LIBS = process.platform === 'linux' ? ['-lrt', '-lpthread'] : ['-lpthread'];

let compiler;
/** The C compiler command, or null when there is none (looked up once). */
export function findCompiler() {
  if (compiler === undefined) compiler = spawnSync(CC, ['--version'], { stdio: 'ignore' }).status === 0 ? CC : null;
  return compiler;
}

const mtime = (path) => {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
};

/**
 * Path of the executable built from bench/c/<name>.c (rebuilt when the source is
 * newer), or null when there is no compiler. Throws when the source does not compile.
 */
export function buildCPeer(name) {
  if (!/^[\w-]+$/.test(name)) throw new TypeError(`bad C peer name: ${name}`);
  const source = join(SOURCES, `${name}.c`);
  const exe = join(BUILD, name);
  if (mtime(source) < 0) throw new Error(`no C peer source ${source}`);
  if (!findCompiler()) return null;
  if (mtime(exe) >= mtime(source)) return exe;
  mkdirSync(BUILD, { recursive: true });
  // Build under a private name and rename: two runs at once never see half a file.
  const partial = `${exe}.${process.pid}.tmp`;
  const r = spawnSync(CC, ['-O2', '-o', partial, source, ...LIBS], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${CC} ${name}.c failed:\n${r.stderr || r.error}`);
  renameSync(partial, exe);
  return exe;
}
