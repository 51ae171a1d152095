import { parentPort } from 'node:worker_threads';
import bcrypt from 'bcryptjs';
import { md5Crypt, shaCrypt } from './crypt.js';
import type { CryptJob, CryptReply } from './crypt-jobs.js';

/**
 * A password-hash thread of crypt-pool.ts: the slow crypt(3) schemes run
 * here, off the event loop that relays every session's bytes.
 */
function run(job: CryptJob): CryptReply {
  const key = Buffer.from(job.password, 'utf8');
  try {
    switch (job.kind) {
      case 'sha':
        return { id: job.id, ok: true, value: shaCrypt(key, job.params) };
      case 'md5':
        return { id: job.id, ok: true, value: md5Crypt(key, job.salt) };
      case 'bcrypt':
        return { id: job.id, ok: true, value: bcrypt.compareSync(job.password, job.hash) ? 'match' : 'mismatch' };
    }
  } catch (err: unknown) {
    return { id: job.id, ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    key.fill(0);
  }
}

parentPort?.on('message', (job: CryptJob) => parentPort?.postMessage(run(job)));
