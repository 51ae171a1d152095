import { randomBytes } from 'node:crypto';

const ID_BYTES = 12;
/** Random bytes are fetched for many ids at once: one crypto call per connection was measurable. */
const POOL_IDS = 512;
let pool = Buffer.alloc(0);
let offset = 0;

/** Dovecot-style session id: 12 random bytes in base64 without padding. */
export function newSessionId(): string {
  if (offset + ID_BYTES > pool.length) {
    pool = randomBytes(ID_BYTES * POOL_IDS);
    offset = 0;
  }
  const id = pool.toString('base64', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}
