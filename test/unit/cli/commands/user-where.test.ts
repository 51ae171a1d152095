import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseUsersFile, userWhereCommand } from '../../../../src/cli/commands/user-where.js';

async function run(...args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  // Nothing listens on port 1: only usage errors can answer before a call is made.
  const code = await userWhereCommand.run([...args, '--director', '127.0.0.1:1'], { stdout: () => undefined, stderr: (t) => (stderr += t), env: {} });
  return { code, stderr };
}

test('a users file: one name a line, blanks and # comments skipped, spaces trimmed', () => {
  assert.deepEqual(parseUsersFile('# users\nalice\n\n  Bob@Example.org \r\n#carol\ndave'), ['alice', 'Bob@Example.org', 'dave']);
  assert.deepEqual(parseUsersFile('\n# only comments\n'), []);
});

test('USER and --users-file exclude each other; an empty or missing file is a usage error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'md-user-where-'));
  try {
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '# nobody\n');
    const both = await run('alice', '--users-file', empty);
    assert.equal(both.code, 64);
    assert.match(both.stderr, /give USER or --users-file, not both/);
    const none = await run();
    assert.equal(none.code, 64);
    assert.match((await run('--users-file', empty)).stderr, /names no user/);
    assert.match((await run('--users-file', join(dir, 'missing.txt'))).stderr, /cannot read --users-file .*ENOENT/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
