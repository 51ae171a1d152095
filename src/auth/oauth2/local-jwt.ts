import { errors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { OAuth2Config } from '../../config/types.js';
import type { Secret } from '../../core/secret.js';
import type { ProviderAnswer } from './introspection.js';
import { JwksUnavailableError } from './jwks.js';

/**
 * Local validation (Dovecot's introspection_mode = local, lib-oauth2's
 * oauth2-jwt.c): the token is a JWS-signed JWT whose signature one of the
 * configured keys verifies, which has `exp` (not passed) and `sub`, whose
 * `nbf`/`iat` are not in the future, whose `iss` is one of `issuers` (when
 * set) and whose `aud` holds `client_id` (when set). jose does the
 * cryptography and refuses unsigned (`alg: none`) tokens.
 */
export async function verifyJwt(config: OAuth2Config, keys: JWTVerifyGetKey, token: Secret): Promise<ProviderAnswer> {
  try {
    const { payload } = await jwtVerify(token.reveal(), keys, {
      requiredClaims: ['exp', 'sub'],
      ...(config.issuers.length === 0 ? {} : { issuer: [...config.issuers] }),
      ...(config.clientId === undefined ? {} : { audience: config.clientId }),
    });
    return { kind: 'claims', claims: payload };
  } catch (err: unknown) {
    if (err instanceof JwksUnavailableError) return { kind: 'tempfail', detail: err.message };
    if (err instanceof errors.JOSEError) return { kind: 'invalid', detail: `JWT refused: ${err.code}${claimOf(err)}` };
    return { kind: 'invalid', detail: 'JWT refused: not a JWT' };
  }
}

/** Which claim failed (jose names it), never the token. */
function claimOf(err: errors.JOSEError): string {
  return err instanceof errors.JWTClaimValidationFailed || err instanceof errors.JWTExpired ? ` (${err.claim})` : '';
}
