import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { IntrospectionMode, JwksSource, OAuth2Config } from './types.js';
import type { MapView } from './reader.js';
import { readCaFile, type LoadContext } from './sections.js';

/**
 * The `oauth2` section: how the director validates the bearer tokens of
 * SASL XOAUTH2 and OAUTHBEARER, with the names of Dovecot's oauth2 passdb
 * (dovecot-oauth2.conf.ext, src/auth/db-oauth2.c).
 */
export const OAUTH2_KEYS = [
  'introspection_mode', 'introspection_url', 'local_validation_jwks', 'jwks_cache_ttl', 'username_attribute',
  'username_format', 'active_attribute', 'active_value', 'issuers', 'client_id', 'scope', 'timeout', 'tls_ca_cert_file',
];

const MODES: readonly IntrospectionMode[] = ['post', 'get', 'auth', 'local'];

export const OAUTH2_DEFAULTS = {
  // Dovecot's db-oauth2.c defaults: username_attribute = email, username_format = %Lu, active_attribute = active, active_value = true.
  usernameAttribute: 'email',
  usernameFormat: '%Lu',
  activeAttribute: 'active',
  activeValue: 'true',
  // Dovecot's HTTP client has no default deadline; a login must not wait on a silent identity provider for long.
  timeoutMs: 5_000,
  // Keys rotate rarely; an unknown key id fetches again at once (at most every 30 s).
  jwksCacheTtlMs: 3_600_000,
} as const;

/** %u, %n, %d, optionally lower-cased with L; %% is a literal percent. */
const FORMAT_TOKENS = /%(?:L?[und]|%)/g;

export function readOAuth2(ctx: LoadContext, v: MapView | undefined): OAuth2Config | undefined {
  if (v === undefined) return undefined;
  const d = OAUTH2_DEFAULTS;
  const modeEntry = v.value('introspection_mode');
  let mode: IntrospectionMode = v.has('local_validation_jwks') && !v.has('introspection_url') ? 'local' : 'post';
  const modeText = v.string('introspection_mode');
  if (modeEntry !== undefined && modeText !== undefined) {
    if ((MODES as readonly string[]).includes(modeText)) mode = modeText as IntrospectionMode;
    else v.problem(modeEntry, `must be one of ${MODES.join(', ')}`);
  }

  const introspectionUrl = readHttpsUrl(v, 'introspection_url');
  if (mode !== 'local' && introspectionUrl === undefined && !v.has('introspection_url')) {
    v.value('introspection_url', true);
  }
  const jwks = readJwks(ctx, v);
  if (mode === 'local' && jwks === undefined && !v.has('local_validation_jwks')) v.value('local_validation_jwks', true);

  const usernameFormat = v.string('username_format') ?? d.usernameFormat;
  const formatEntry = v.value('username_format');
  if (formatEntry !== undefined && usernameFormat.replace(FORMAT_TOKENS, '').includes('%')) {
    v.problem(formatEntry, 'only %u, %n, %d (and %L before them) and %% may be used');
  }
  const activeAttribute = v.string('active_attribute') ?? d.activeAttribute;
  const activeValue = v.string('active_value') ?? d.activeValue;
  // Dovecot refuses one without the other (db-oauth2.c).
  if ((activeAttribute === '') !== (activeValue === '')) {
    const e = v.value(activeAttribute === '' ? 'active_attribute' : 'active_value');
    if (e !== undefined) v.problem(e, 'active_attribute and active_value must both be set, or both be empty');
  }
  const usernameAttribute = v.string('username_attribute') ?? d.usernameAttribute;
  const attrEntry = v.value('username_attribute');
  if (attrEntry !== undefined && usernameAttribute === '') v.problem(attrEntry, 'must not be empty');

  const ca = readCaFile(ctx, v, 'tls_ca_cert_file', false);
  return {
    introspectionMode: mode,
    introspectionUrl,
    localValidationJwks: jwks,
    jwksCacheTtlMs: v.duration('jwks_cache_ttl', d.jwksCacheTtlMs, { min: 1_000 }),
    usernameAttribute,
    usernameFormat,
    activeAttribute,
    activeValue,
    issuers: words(v, 'issuers'),
    clientId: v.string('client_id'),
    scope: words(v, 'scope'),
    timeoutMs: v.duration('timeout', d.timeoutMs, { min: 100, max: 60_000 }),
    tlsCaCert: ca?.data,
    tlsCaCertFile: ca?.path,
  };
}

/** A list, or Dovecot's space-separated string. */
function words(v: MapView, name: string): string[] {
  const list = v.stringList(name);
  return (list?.values ?? []).flatMap((s) => s.split(/\s+/)).filter((w) => w !== '');
}

/** Tokens travel in the request: never over plain HTTP (RFC 7662 §4: "MUST be protected by TLS"). */
function readHttpsUrl(v: MapView, name: string): string | undefined {
  const e = v.value(name);
  const raw = v.string(name);
  if (e === undefined || raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    v.problem(e, 'not a URL');
    return undefined;
  }
  if (url.protocol !== 'https:') {
    v.problem(e, 'must be an https:// URL (the token is sent in the request)');
    return undefined;
  }
  return url.href;
}

function readJwks(ctx: LoadContext, v: MapView): JwksSource | undefined {
  const e = v.value('local_validation_jwks');
  const raw = v.string('local_validation_jwks');
  if (e === undefined || raw === undefined) return undefined;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw)) {
    const url = readHttpsUrl(v, 'local_validation_jwks');
    return url === undefined ? undefined : { kind: 'url', url };
  }
  const path = isAbsolute(raw) ? raw : resolve(ctx.baseDir, raw);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err: unknown) {
    const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : 'not JSON';
    v.problem(e, `cannot read ${path} as a JWKS (${code})`);
    return undefined;
  }
  const keys = typeof parsed === 'object' && parsed !== null && 'keys' in parsed ? parsed.keys : undefined;
  if (!Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === 'object' && k !== null && !Array.isArray(k))) {
    v.problem(e, `${path} is not a JWKS: expected {"keys": [ ... ]} with at least one key`);
    return undefined;
  }
  return { kind: 'file', path, keys: keys as Array<Record<string, unknown>> };
}
