import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSync } from '@grpc/proto-loader';
import type { MethodDefinition } from '@grpc/proto-loader';
import { PROTO_LOADER_OPTIONS } from '../../../src/adapters/grpc/proto-options.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const CHECKED_IN = join(REPO, 'src/adapters/grpc/generated');

function tree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.set(relative(dir, path), readFileSync(path, 'utf8'));
    }
  };
  walk(dir);
  return files;
}

test('checked-in generated types match scripts/gen-proto output (run it after editing proto/)', () => {
  const out = mkdtempSync(join(tmpdir(), 'md-gen-proto-'));
  try {
    execFileSync(join(REPO, 'scripts/gen-proto'), [out], { cwd: REPO, stdio: 'pipe' });
    const fresh = tree(out);
    const current = tree(CHECKED_IN);
    assert.ok(fresh.size > 0, 'generator produced nothing');
    assert.deepEqual([...current.keys()].sort(), [...fresh.keys()].sort(), 'file list drifted: run scripts/gen-proto');
    for (const [file, text] of fresh) assert.equal(current.get(file), text, `${file} drifted: run scripts/gen-proto`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('run-time decoding matches what the generated types promise (camelCase, int64 as number, enum names, defaults)', () => {
  const definition = loadSync('maildirector/admin/v1/admin.proto', PROTO_LOADER_OPTIONS);
  const method = (definition['maildirector.admin.v1.Admin'] as Record<string, MethodDefinition<object, object>>)['Status'];
  assert.ok(method !== undefined, 'no Status method');
  const { responseSerialize: serialize, responseDeserialize: deserialize } = method;
  const decoded = deserialize(
    serialize({ directorId: 'd1', uptimeMs: 2 ** 40, backends: [{ id: 'b1', state: 'BACKEND_STATE_DOWN' }] }),
  );
  assert.deepEqual(decoded, {
    directorId: 'd1',
    startedAtMs: 0,
    uptimeMs: 2 ** 40,
    sessionCount: 0,
    directorsLive: 0,
    directorsTotal: 0,
    ringClock: 0,
    backends: [
      { id: 'b1', host: '', ports: {}, weight: 0, tag: '', state: 'BACKEND_STATE_DOWN', admin: 'ADMIN_OVERRIDE_UNSPECIFIED', voters: 0, downVotes: 0, sessions: 0, users: 0 },
    ],
  });
});
