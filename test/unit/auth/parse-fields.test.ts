import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseUserFields } from '../../../src/auth/parse-fields.js';
import type { UserFields } from '../../../src/auth/fields.js';
import { Secret } from '../../../src/core/secret.js';

function parse(entries: Record<string, string>, user = 'alice'): UserFields {
  const result = parseUserFields(user, new Map(Object.entries(entries)));
  if ('error' in result) throw new Error(`unexpected error: ${result.error}`);
  return result.fields;
}

function parseError(entries: Record<string, string>): string {
  const result = parseUserFields('alice', new Map(Object.entries(entries)));
  assert.ok('error' in result, `expected an error for ${JSON.stringify(entries)}`);
  return result.error;
}

test('no fields: defaults', () => {
  const f = parse({});
  assert.equal(f.user, 'alice');
  assert.equal(f.proxy, 'none');
  assert.equal(f.proxyAlways, false);
  assert.equal(f.host, undefined);
  assert.equal(f.port, undefined);
  assert.equal(f.ssl, 'no');
  assert.equal(f.starttls, 'no');
  assert.equal(f.nopassword, false);
  assert.equal(f.nologin, false);
  assert.equal(f.directorTag, '');
  assert.deepEqual({ ...f.forward }, {});
  assert.equal(f.delayUntil, undefined);
  assert.equal(f.pass, undefined);
});

test('flag fields: present means yes unless n/no/0/false', () => {
  assert.equal(parse({ proxy_maybe: 'y' }).proxy, 'proxy_maybe');
  assert.equal(parse({ proxy_maybe: '' }).proxy, 'proxy_maybe');
  assert.equal(parse({ proxy_maybe: 'NO' }).proxy, 'none');
  assert.equal(parse({ proxy_maybe: '0' }).proxy, 'none');
  assert.equal(parse({ proxy_maybe: 'false' }).proxy, 'none');
  assert.equal(parse({ nologin: 'y' }).nologin, true);
  assert.equal(parse({ nologin: 'n' }).nologin, false);
  assert.equal(parse({ nopassword: '' }).nopassword, true);
  assert.equal(parse({ proxy_nopipelining: 'yes' }).proxyNopipelining, true);
  assert.equal(parse({ proxy_not_trusted: '1' }).proxyNotTrusted, true);
  assert.equal(parse({ proxy_always: 'y', proxy_maybe: 'y' }).proxyAlways, true);
});

test('proxy field: Dovecot flag or a word list', () => {
  assert.equal(parse({ proxy: 'y' }).proxy, 'proxy');
  assert.equal(parse({ proxy: 'yes' }).proxy, 'proxy');
  assert.equal(parse({ proxy: 'no' }).proxy, 'none');
  assert.equal(parse({ proxy: '' }).proxy, 'none');
  assert.equal(parse({ proxy: 'proxy' }).proxy, 'proxy');
  assert.equal(parse({ proxy: 'proxy_maybe' }).proxy, 'proxy_maybe');
  const both = parse({ proxy: 'proxy_maybe proxy_always' });
  assert.equal(both.proxy, 'proxy_maybe');
  assert.equal(both.proxyAlways, true);
  assert.equal(parse({ proxy: 'PROXY_MAYBE' }).proxy, 'proxy_maybe');
  assert.match(parseError({ proxy: 'proxy_sometimes' }), /proxy/);
});

test('strings, host, port, user rewrite, forward_*', () => {
  const f = parse(
    {
      host: ' 10.0.0.5 ',
      port: '1143',
      source_ip: '127.0.0.9',
      protocol: 'LMTP',
      destuser: 'alice@backend',
      proxy_mech: 'PLAIN',
      master: 'proxyuser',
      pass: 'masterpw',
      director_tag: 'eu',
      reason: 'Account moved',
      user: 'Alice@Example.org',
      forward_foo: 'bar',
      forward_x_y: 'z',
      forward_: 'ignored',
      unknown_field: 'ignored',
    },
    'alice',
  );
  assert.equal(f.host, '10.0.0.5');
  assert.equal(f.port, 1143);
  assert.equal(f.sourceIp, '127.0.0.9');
  assert.equal(f.protocol, 'lmtp');
  assert.equal(f.destuser, 'alice@backend');
  assert.equal(f.proxyMech, 'PLAIN');
  assert.equal(f.master, 'proxyuser');
  assert.ok(f.pass instanceof Secret);
  assert.equal(f.pass.reveal(), 'masterpw');
  assert.equal(f.directorTag, 'eu');
  assert.equal(f.reason, 'Account moved');
  assert.equal(f.user, 'Alice@Example.org');
  assert.deepEqual({ ...f.forward }, { foo: 'bar', x_y: 'z' });
});

test('field names are case-insensitive; an empty host is no host', () => {
  assert.equal(parse({ Host: 'h1' }).host, 'h1');
  assert.equal(parse({ host: '' }).host, undefined);
});

test('proxy_timeout: seconds, Ns, Nms', () => {
  assert.equal(parse({ proxy_timeout: '30' }).proxyTimeoutMs, 30_000);
  assert.equal(parse({ proxy_timeout: '5s' }).proxyTimeoutMs, 5_000);
  assert.equal(parse({ proxy_timeout: '1500ms' }).proxyTimeoutMs, 1_500);
  assert.match(parseError({ proxy_timeout: 'soon' }), /proxy_timeout/);
  assert.match(parseError({ proxy_timeout: '-1' }), /proxy_timeout/);
});

test('ssl and starttls', () => {
  assert.equal(parse({ ssl: 'yes' }).ssl, 'yes');
  assert.equal(parse({ ssl: 'any-cert' }).ssl, 'any-cert');
  assert.equal(parse({ starttls: 'yes' }).starttls, 'yes');
  assert.equal(parse({ starttls: 'any-cert' }).starttls, 'any-cert');
  assert.equal(parse({ starttls: 'no' }).starttls, 'no');
  assert.match(parseError({ ssl: 'maybe' }), /ssl/);
});

test('delay_until: unix seconds with optional +N jitter', () => {
  assert.deepEqual(parse({ delay_until: '1700000000' }).delayUntil, { atMs: 1_700_000_000_000, jitterSeconds: 0 });
  assert.deepEqual(parse({ delay_until: '1700000000+5' }).delayUntil, { atMs: 1_700_000_000_000, jitterSeconds: 5 });
  assert.match(parseError({ delay_until: 'x' }), /delay_until/);
  assert.match(parseError({ delay_until: '17+' }), /delay_until/);
  assert.match(parseError({ delay_until: '1.5' }), /delay_until/);
});

test('malformed port is an error, not a default', () => {
  assert.match(parseError({ port: 'abc' }), /port/);
  assert.match(parseError({ port: '0' }), /port/);
  assert.match(parseError({ port: '65536' }), /port/);
  assert.match(parseError({ port: '143x' }), /port/);
});

test('the pass value never appears in an error or in printed fields', () => {
  const f = parse({ pass: 'hunter2-master' });
  assert.doesNotMatch(JSON.stringify(f), /hunter2/);
  const error = parseError({ pass: 'hunter2-master', port: 'bad' });
  assert.doesNotMatch(error, /hunter2/);
});
