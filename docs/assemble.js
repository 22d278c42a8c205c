// Builds docs/api.md from the fragments in docs/api/: _intro.md first, then the
// topics in reading order (a fragment not listed here comes after them, by name).
// A fragment whose top heading is `# ` is demoted one level so that every topic
// is a `## ` section of the assembled page. Run `npm run docs`; test/docs.test.ts
// fails when docs/api.md is out of step with its fragments.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ORDER = ['errors', 'process', 'pool', 'manager', 'pipes', 'shared-memory', 'values', 'sync',
  'message-queues', 'queue', 'ownership', 'cli'];
const dir = new URL('./api/', import.meta.url);

/** Adds one `#` to every heading outside code fences. */
function demote(text) {
  let fenced = false;
  return text.split('\n').map((line) => {
    if (line.startsWith('```')) fenced = !fenced;
    return !fenced && /^#+ /.test(line) ? `#${line}` : line;
  }).join('\n');
}

export function assemble() {
  const topics = readdirSync(dir).filter((f) => f.endsWith('.md') && !f.startsWith('_'))
    .map((f) => f.slice(0, -3));
  const rank = (t) => (ORDER.includes(t) ? ORDER.indexOf(t) : ORDER.length);
  topics.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  let out = readFileSync(new URL('_intro.md', dir), 'utf8');
  for (const t of topics) {
    const text = readFileSync(new URL(`${t}.md`, dir), 'utf8');
    if (!out.endsWith('\n\n')) out += '\n';
    out += text.startsWith('# ') ? demote(text) : text;
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(new URL('./api.md', import.meta.url), assemble());
  console.log('docs/api.md assembled from docs/api/*.md');
}
