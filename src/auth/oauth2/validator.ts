import { Agent } from 'node:https';
import type { JWTVerifyGetKey } from 'jose';
import type { OAuth2Config } from '../../config/types.js';
import type { Secret } from '../../core/secret.js';
import { checkClaims } from './claims.js';
import { introspect } from './introspection.js';
import { jwksKeyGetter } from './jwks.js';
import { verifyJwt } from './local-jwt.js';
import type { TokenValidator, TokenVerdict } from './verdict.js';

/** The token check the `oauth2` section describes: the provider's answer (local JWT or introspection), then the claims. */
export function createTokenValidator(config: OAuth2Config): TokenValidator {
  let keys: JWTVerifyGetKey | undefined;
  if (config.introspectionMode === 'local' && config.localValidationJwks !== undefined) {
    keys = jwksKeyGetter(config.localValidationJwks, { ca: config.tlsCaCert, timeoutMs: config.timeoutMs, cacheTtlMs: config.jwksCacheTtlMs });
  }
  // Dovecot's HTTP client keeps up to 10 connections to the provider (max_parallel_connections) and
  // reuses them (max_idle_time_msecs = 60 s): a TLS handshake per login would cost more than the login.
  const agent = keys === undefined ? new Agent({ keepAlive: true, maxSockets: 10, maxFreeSockets: 10, timeout: 60_000 }) : undefined;
  return {
    async validate(token: Secret, user: string): Promise<TokenVerdict> {
      const answer = keys !== undefined ? await verifyJwt(config, keys, token) : await introspect(config, token, agent);
      if (answer.kind !== 'claims') return answer;
      return checkClaims(config, answer.claims, user);
    },
  };
}

const validators = new WeakMap<OAuth2Config, TokenValidator>();

/**
 * One validator per loaded `oauth2` section (its cached keys live as long
 * as it does); a reload that reads a new section gets a new one.
 */
export function tokenValidatorFor(config: OAuth2Config | undefined): TokenValidator | undefined {
  if (config === undefined) return undefined;
  let validator = validators.get(config);
  if (validator === undefined) {
    validator = createTokenValidator(config);
    validators.set(config, validator);
  }
  return validator;
}
