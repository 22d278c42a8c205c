// Run by lib/cli/mqueue.ts, inside a private mount namespace when it can be:
//   node mqueue-helper.js DIR mount|nomount list
//   node mqueue-helper.js DIR mount|nomount unlink NAME...
// mounts the mqueue filesystem on DIR (unless told it is mounted there already),
// then prints JSON on stdout: the queues, or one result per name. In the
// mqueue filesystem a file is a queue and unlinking it is mq_unlink.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

const [dir, mount, op, ...names] = process.argv.slice(2);

if (mount === 'mount') execFileSync('mount', ['-t', 'mqueue', 'none', dir!], { stdio: ['ignore', 'ignore', 'pipe'] });

if (op === 'list') {
  const out = [];
  for (const file of readdirSync(dir!)) {
    try {
      const path = join(dir!, file);
      const st = statSync(path);
      const qsize = /QSIZE:(\d+)/.exec(readFileSync(path, 'utf8'));
      out.push({
        name: `/${file}`, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid,
        changedMs: st.ctimeMs, bytes: qsize ? Number(qsize[1]) : null,
      });
    } catch {
      // Removed while we looked.
    }
  }
  process.stdout.write(JSON.stringify(out));
} else if (op === 'unlink') {
  const out = names.map((name) => {
    try {
      unlinkSync(join(dir!, name.slice(1)));
      return { name, code: null };
    } catch (err) {
      return { name, code: (err as NodeJS.ErrnoException).code ?? 'EIO' };
    }
  });
  process.stdout.write(JSON.stringify(out));
}
