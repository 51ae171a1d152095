import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../harness/director.js';

// packaging/mail-director.rules.yml: Prometheus's own checker accepts it, and
// every metric it names is one the director's sources register.

const RULES = join(REPO_ROOT, 'packaging/mail-director.rules.yml');

test('promtool check rules accepts the alert rules', async () => {
  const out = await new Promise<{ code: number; text: string }>((resolve) => {
    execFile('promtool', ['check', 'rules', RULES], { timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, text: stdout + stderr });
    });
  });
  assert.equal(out.code, 0, out.text);
  assert.match(out.text, /SUCCESS: 7 rules found/);
});

test('every maildirector_ metric the rules use is registered by the director', () => {
  const used = new Set(readFileSync(RULES, 'utf8').match(/maildirector_[a-z_]+/g) ?? []);
  assert.ok(used.size > 0);
  const src = join(REPO_ROOT, 'src');
  const files = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const sources = files.map((f) => readFileSync(join(src, f), 'utf8')).join('\n');
  for (const name of used) assert.ok(sources.includes(`'${name}'`), `${name} is exported`);
});
