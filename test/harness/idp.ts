import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JWK } from 'jose';
import { issueCert, type CaFiles } from './certs.js';
import { freePort } from './ports.js';

/**
 * A small OAuth2 identity provider for tests: HTTPS on 127.0.0.1 with a
 * certificate of the test CA; it signs JWT access tokens (ES256), serves its
 * key set at /jwks and answers RFC 7662 introspection at /introspect (POST
 * `token=…`, GET `?token=…` or GET with a Bearer header). A fake is fine here: the parts under test are the director
 * and the Dovecot backend that validate and forward the tokens.
 */

export interface TokenOptions {
  /** The user the token names (claims `sub` and `username`). */
  readonly user: string;
  /** Seconds from now; negative for an expired token. Default 600. */
  readonly expiresIn?: number;
  /** Default IDP_AUDIENCE. */
  readonly audience?: string;
  /** Default the provider's own issuer URL. */
  readonly issuer?: string;
  /** Sign with a key the provider does not publish (a forged token). */
  readonly forged?: boolean;
  readonly scope?: string;
}

export interface IdpHandle {
  readonly host: string;
  readonly port: number;
  /** The `iss` of its tokens. */
  readonly issuer: string;
  readonly introspectionUrl: string;
  readonly jwksUrl: string;
  issue(options: TokenOptions): Promise<string>;
  /** Introspection requests answered so far, per token (active or not). */
  introspections(token: string): number;
  /** Close the port: the provider is unreachable until start(). */
  stop(): Promise<void>;
  /** Listen again on the same port. */
  start(): Promise<void>;
}

export const IDP_AUDIENCE = 'mail-director-test';
const KEY_ID = 'test-key-1';

export async function startIdp(opts: { readonly dir: string; readonly ca: CaFiles; readonly host?: string }): Promise<IdpHandle> {
  const host = opts.host ?? '127.0.0.1';
  const cert = await issueCert(opts.ca, opts.dir, 'idp', { ips: [host], dns: ['localhost'] });
  const [key, certPem] = await Promise.all([readFile(cert.key), readFile(cert.cert)]);
  const good = await generateKeyPair('ES256', { extractable: true });
  // Same algorithm and key id as the published key: only the signature gives it away.
  const rogue = await generateKeyPair('ES256');
  const publicJwk: JWK = { ...(await exportJWK(good.publicKey)), kid: KEY_ID, alg: 'ES256', use: 'sig' };
  const port = await freePort(host);
  const issuer = `https://${host}:${port}`;
  const counts = new Map<string, number>();

  async function introspect(token: string): Promise<Record<string, unknown>> {
    counts.set(token, (counts.get(token) ?? 0) + 1);
    try {
      const { payload } = await jwtVerify(token, good.publicKey, { issuer });
      // RFC 7662 §2.2: the token's fields, with active true.
      return { active: true, ...payload, client_id: IDP_AUDIENCE, token_type: 'Bearer' };
    } catch {
      return { active: false };
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', issuer);
    const send = (status: number, value: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (req.method === 'GET' && url.pathname === '/jwks') return send(200, { keys: [publicJwk] });
    if (url.pathname === '/introspect') {
      const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      const token = req.method === 'POST' ? new URLSearchParams(body).get('token') : (bearer ?? url.searchParams.get('token'));
      if (token === null || token === '') return send(400, { error: 'invalid_request' });
      return send(200, await introspect(token));
    }
    send(404, { error: 'not_found' });
  }

  let server: Server | undefined;
  const start = async (): Promise<void> => {
    const s = createServer({ key, cert: certPem }, (req, res) => {
      handle(req, res).catch(() => {
        res.writeHead(500);
        res.end();
      });
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, host, () => resolve());
    });
    server = s;
  };
  const stop = async (): Promise<void> => {
    const s = server;
    server = undefined;
    if (s === undefined) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await start();

  return {
    host,
    port,
    issuer,
    introspectionUrl: `${issuer}/introspect`,
    jwksUrl: `${issuer}/jwks`,
    async issue(t: TokenOptions): Promise<string> {
      const signer: CryptoKey = t.forged === true ? rogue.privateKey : good.privateKey;
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ username: t.user, scope: t.scope ?? 'mail' })
        .setProtectedHeader({ alg: 'ES256', kid: KEY_ID, typ: 'JWT' })
        .setSubject(t.user)
        .setIssuer(t.issuer ?? issuer)
        .setAudience(t.audience ?? IDP_AUDIENCE)
        .setIssuedAt(now - 5)
        .setExpirationTime(now + (t.expiresIn ?? 600))
        .sign(signer);
    },
    introspections: (token) => counts.get(token) ?? 0,
    stop,
    start,
  };
}
