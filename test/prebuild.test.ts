// `npm run prebuild` makes a prebuild with prebuildify, and with PREBUILDS_ONLY=1
// the package loads it (and never a local build). Done in a copy of the package,
// so the build/ that the other tests load is not rebuilt under them.
import { describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from './helpers/child.js';

describe('prebuild', () => {
  it('npm run prebuild makes a prebuild that loads with PREBUILDS_ONLY=1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'osipc-prebuild-'));
    try {
      for (const f of ['package.json', 'binding.gyp', 'native', 'dist']) {
        cpSync(join(packageRoot, f), join(dir, f), { recursive: true });
      }
      symlinkSync(join(packageRoot, 'node_modules'), join(dir, 'node_modules'));
      execFileSync('npm', ['run', 'prebuild'], { cwd: dir, stdio: 'ignore', timeout: 240_000 });
      const platformDir = `${process.platform}-${process.arch}`;
      expect(readdirSync(join(dir, 'prebuilds', platformDir))).toContain('osipc.node');
      // No local build is left in the copy: only the prebuild can load.
      rmSync(join(dir, 'build'), { recursive: true, force: true });
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', `
        import { SharedMemory } from './dist/index.js';
        const s = SharedMemory.create({ size: 8 }); s.close(); console.log('loaded');`],
      { cwd: dir, env: { ...process.env, PREBUILDS_ONLY: '1' }, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim()).toBe('loaded');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
