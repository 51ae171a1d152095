import { createSaslServer, SASL_MECHANISMS, type SaslServer } from './sasl.js';
import { createOAuth2Server, OAUTH2_MECHANISMS } from './sasl-oauth2.js';

/**
 * The SASL mechanisms a front end offers and runs: PLAIN and LOGIN always,
 * XOAUTH2 and OAUTHBEARER when the `oauth2` section says how tokens are
 * validated. All four carry a secret in the clear (Dovecot flags the OAuth
 * ones MECH_SEC_PLAINTEXT too), so none is offered before TLS from an
 * untrusted network.
 */
const WITH_OAUTH2: readonly string[] = Object.freeze([...SASL_MECHANISMS, ...OAUTH2_MECHANISMS]);

export function offeredMechanisms(oauth2: boolean): readonly string[] {
  return oauth2 ? WITH_OAUTH2 : SASL_MECHANISMS;
}

/** A server for `mechanism` (any case) when it is offered; undefined otherwise. */
export function createServerMechanism(mechanism: string, oauth2: boolean): SaslServer | undefined {
  return createSaslServer(mechanism) ?? (oauth2 ? createOAuth2Server(mechanism) : undefined);
}
