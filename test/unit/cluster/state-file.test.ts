import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStateFile, saveStateFile, StateFileError, StateFileWriter } from '../../../src/cluster/state-file.js';
import { RingState, seedEntries } from '../../../src/ring/state.js';

function withDir(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'md-state-file-'));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a saved state loads back with admin state, weights, removed backends and the clock', () => {
  withDir((dir) => {
    const path = join(dir, 'ring.json');
    const state = new RingState('d1');
    state.merge(seedEntries({ backends: [{ id: 'b1', host: 'h1', ports: { imap: 143 }, weight: 100, tag: '' }, { id: 'b2', host: 'h2', ports: {}, weight: 100, tag: '' }], directors: [] }));
    state.setAdmin('b1', 'down');
    state.setBackend({ id: 'b1', host: 'h1', ports: { imap: 143 }, weight: 30, tag: '' });
    state.removeBackend('b2');
    saveStateFile(path, state.toJSON());
    assert.deepEqual(readdirSync(dir), ['ring.json'], 'temp file left behind');
    const loaded = loadStateFile(path);
    assert.ok(loaded !== undefined);
    assert.equal(loaded.dropped, 0);
    const back = RingState.fromPersisted(loaded.state, 'd1');
    assert.equal(back.adminState('b1'), 'down');
    assert.deepEqual(back.backends().map((b) => [b.id, b.weight]), [['b1', 30]]);
    assert.deepEqual(back.removedBackends(), ['b2']);
    assert.equal(back.clock, state.clock);
  });
});

test('no file is a first start; a corrupt file is an error, not a silent reset', () => {
  withDir((dir) => {
    assert.equal(loadStateFile(join(dir, 'none.json')), undefined);
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{"format":1,"entries":[');
    assert.throws(() => loadStateFile(path), StateFileError);
    writeFileSync(path, '{"format":7,"entries":[]}');
    assert.throws(() => loadStateFile(path), StateFileError);
  });
});

test('unsound entries in a file are dropped and counted', () => {
  withDir((dir) => {
    const path = join(dir, 'ring.json');
    const good = new RingState('d1').setAdmin('b1', 'down');
    writeFileSync(path, JSON.stringify({ format: 1, directorId: 'd1', clock: 9, entries: [good, { kind: 'admin' }, 42, { kind: 'verdict', version: { counter: 1, origin: 'd1' }, directorId: 'd1', backendId: 'b', down: true, capabilities: null }] }));
    const loaded = loadStateFile(path);
    assert.ok(loaded !== undefined);
    assert.equal(loaded.dropped, 3);
    assert.deepEqual(loaded.state.entries, [good]);
  });
});

test('StateFileWriter coalesces a burst into one write and flush() writes at once', async () => {
  await new Promise<void>((resolve, reject) => {
    withDir((dir) => {
      const path = join(dir, 'ring.json');
      const state = new RingState('d1');
      let snapshots = 0;
      const writer = new StateFileWriter(path, () => {
        snapshots += 1;
        return state.toJSON();
      }, reject, 20);
      for (let i = 0; i < 100; i++) {
        state.setMove(`u${i}`, 'b1');
        writer.schedule();
      }
      writer.flush();
      try {
        assert.equal(snapshots, 1);
        assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { entries: unknown[] }).entries.length, 100);
        resolve();
      } catch (err) {
        reject(err);
      }
    });
  });
});
