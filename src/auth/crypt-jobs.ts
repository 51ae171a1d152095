import type { ParsedShaCrypt } from './crypt.js';

/** Work for a crypt thread (crypt-worker.ts); `password` crosses the thread boundary and nothing else sees it. */
export type CryptJob =
  | { readonly id: number; readonly kind: 'sha'; readonly password: string; readonly params: ParsedShaCrypt }
  | { readonly id: number; readonly kind: 'md5'; readonly password: string; readonly salt: string }
  | { readonly id: number; readonly kind: 'bcrypt'; readonly password: string; readonly hash: string };

/** `value`: the computed crypt string, or for bcrypt `match`/`mismatch`. */
export type CryptReply = { readonly id: number; readonly ok: true; readonly value: string } | { readonly id: number; readonly ok: false; readonly error: string };

/** Jobs as the caller builds them: the pool numbers them. */
export type CryptRequest = CryptJob extends infer J ? (J extends { id: number } ? Omit<J, 'id'> : never) : never;
