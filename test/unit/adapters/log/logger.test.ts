import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createLogger } from '../../../../src/adapters/log/logger.js';

test('a lone line reaches log.file within the flush interval, and so does one written after an idle spell', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'md-logger-'));
  try {
    const file = join(dir, 'director.log');
    const log = createLogger({ level: 'info', file }, 'd1');
    log.info({ user: 'alice' }, 'first');
    await sleep(600);
    assert.match(await readFile(file, 'utf8'), /"msg":"first"/);
    // Idle ticks flush nothing; the next line is not left waiting for the buffer to fill.
    await sleep(600);
    log.info('second');
    await sleep(600);
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as { msg: string }).msg), ['first', 'second']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
