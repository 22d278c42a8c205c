// Starts the non-Node side of an interop example: a C program or a Python script.
//   node examples/interop/<scenario>.js c [path/to/built/peer]   (built here with cc if no path)
//   node examples/interop/<scenario>.js python                     ($PYTHON, else a python3 that fits)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));

/** Which peer the command line asked for: { kind: 'c' | 'python', label, exe?, python? }. */
export function choosePeer(scenario, { pythonModule } = {}) {
  const kind = process.argv[2] ?? 'c';
  if (kind === 'c') return { kind, label: 'C', scenario, exe: process.argv[3] };
  if (kind === 'python') return { kind, label: 'Python', scenario, python: findPython(pythonModule) };
  console.error(`usage: node examples/interop/${scenario}.js c [peer-binary] | python`);
  process.exit(2);
}

// System V needs Debian's python3-sysv-ipc, which apt installs for /usr/bin/python3 only:
// a pyenv or venv python3 first on PATH may not have it.
function findPython(module) {
  const candidates = process.env.PYTHON ? [process.env.PYTHON] : module ? ['/usr/bin/python3', 'python3'] : ['python3'];
  for (const py of candidates) {
    try {
      execFileSync(py, ['-c', `import ${module ?? 'ctypes'}`], { stdio: 'ignore' });
      return py;
    } catch { /* try the next one */ }
  }
  const hint = module === 'sysv_ipc' ? ' (Debian: apt-get install python3-sysv-ipc; or pip install sysv_ipc)' : '';
  console.error(`no usable python3 among ${candidates.join(', ')}${module ? ` with the module ${module}` : ''}${hint}`);
  process.exit(1);
}

/**
 * Starts the peer with `args`. Its stdout lines are printed here as they come.
 * Returns { exited, waitFor }: `exited` resolves the exit code (the peer is
 * killed after `timeoutMs`, so one that waits for a message that never comes
 * cannot hang the example); `waitFor(re)` resolves the first line matching `re`.
 */
export function runPeer(peer, args, timeoutMs = 30_000) {
  let dir = null;
  let cmd;
  let argv;
  if (peer.kind === 'c') {
    cmd = peer.exe;
    if (!cmd) {
      // No binary given: build it now, as the README shows.
      dir = mkdtempSync(join(tmpdir(), 'osipc-interop-'));
      cmd = join(dir, `${peer.scenario}_peer`);
      // librt holds mq_* and shm_open on glibc before 2.34; macOS has no librt.
      const libs = process.platform === 'linux' ? ['-lrt', '-pthread'] : ['-pthread'];
      const cc = ['-O2', '-Wall', '-Wextra', '-o', cmd, join(here, 'c', `${peer.scenario}_peer.c`), ...libs];
      console.log(`$ cc ${cc.join(' ')}`);
      execFileSync('cc', cc, { stdio: 'inherit' });
    }
    argv = args;
  } else {
    cmd = peer.python;
    argv = [join(here, 'python', `${peer.scenario}_peer.py`), ...args];
  }
  console.log(`$ ${[cmd, ...argv].join(' ')}`);
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  const waiting = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    console.log(line);
    lines.push(line);
    for (const w of waiting.filter((w) => w.re.test(line))) {
      waiting.splice(waiting.indexOf(w), 1);
      w.resolve(line);
    }
  });
  const exited = new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (dir) rmSync(dir, { recursive: true, force: true });
      for (const w of waiting.splice(0)) w.reject(new Error(`the peer exited (${signal ?? code}) before printing ${w.re}`));
      resolve(signal ? `killed by ${signal}` : code);
    });
  });
  function waitFor(re) {
    const seen = lines.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => waiting.push({ re, resolve, reject }));
  }
  return { exited, waitFor };
}
