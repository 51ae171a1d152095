import type { OAuth2Config } from '../../config/types.js';
import type { Agent } from 'node:https';
import type { Secret } from '../../core/secret.js';
import { httpsRequest } from './https-request.js';
import type { Claims } from './verdict.js';

/** The provider's answer about one token, before the claims are checked (claims.ts). */
export type ProviderAnswer =
  | { readonly kind: 'claims'; readonly claims: Claims }
  | { readonly kind: 'invalid'; readonly detail: string }
  | { readonly kind: 'tempfail'; readonly detail: string };

/**
 * RFC 7662 token introspection as Dovecot's lib-oauth2 (oauth2-request.c)
 * asks it: `post` sends `token=…` as a form, `get` appends the token to the
 * URL (which ends in `?token=` or the like), `auth` sends it as a Bearer
 * header. Client credentials, when the provider wants them, go in the URL
 * (`https://id:secret@host/…`), as with Dovecot. A 2xx answer is the
 * token's fields; a 4xx refuses the token; anything else, or no answer, is
 * a temporary failure.
 */
export async function introspect(config: OAuth2Config, token: Secret, agent?: Agent): Promise<ProviderAnswer> {
  const url = config.introspectionUrl;
  if (url === undefined) return { kind: 'tempfail', detail: 'no introspection_url' };
  const value = token.reveal();
  let response;
  try {
    switch (config.introspectionMode) {
      case 'get':
        response = await httpsRequest({ url: url + encodeURIComponent(value), method: 'GET', ca: config.tlsCaCert, timeoutMs: config.timeoutMs, agent });
        break;
      case 'auth':
        response = await httpsRequest({
          url,
          method: 'GET',
          headers: { authorization: `Bearer ${value}` },
          ca: config.tlsCaCert,
          timeoutMs: config.timeoutMs,
          agent,
        });
        break;
      default:
        response = await httpsRequest({
          url,
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `token=${encodeURIComponent(value)}`,
          ca: config.tlsCaCert,
          timeoutMs: config.timeoutMs,
          agent,
        });
    }
  } catch (err: unknown) {
    return { kind: 'tempfail', detail: `introspection failed: ${err instanceof Error ? err.message : String(err)}` };
  }
  const family = Math.floor(response.status / 100);
  if (family === 4) return { kind: 'invalid', detail: `introspection answered ${response.status}` };
  if (family !== 2) return { kind: 'tempfail', detail: `introspection answered ${response.status}` };
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body.toString('utf8'));
  } catch {
    return { kind: 'tempfail', detail: 'introspection answer is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { kind: 'tempfail', detail: 'introspection answer is not a JSON object' };
  }
  return { kind: 'claims', claims: parsed as Claims };
}
