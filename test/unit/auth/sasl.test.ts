import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { createSaslServer, encodePlain, SASL_MECHANISMS, type SaslServer, type SaslStep } from '../../../src/auth/sasl.js';
import { Secret } from '../../../src/core/secret.js';

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');

function server(mechanism: string): SaslServer {
  const s = createSaslServer(mechanism);
  assert.ok(s !== undefined, mechanism);
  return s;
}

function credentials(step: SaslStep): { authzid: string | undefined; authcid: string; password: string } {
  assert.equal(step.kind, 'done', JSON.stringify(step));
  if (step.kind !== 'done') throw new Error('unreachable');
  const { authzid, authcid, password } = step.credentials;
  return { authzid, authcid, password: password.reveal() };
}

function failure(step: SaslStep): string {
  assert.equal(step.kind, 'failed', JSON.stringify(step));
  return step.kind === 'failed' ? step.reason : '';
}

test('mechanisms: PLAIN and LOGIN, case-insensitive; others are unknown', () => {
  assert.deepEqual(SASL_MECHANISMS, ['PLAIN', 'LOGIN']);
  assert.equal(createSaslServer('plain')?.mechanism, 'PLAIN');
  assert.equal(createSaslServer('Login')?.mechanism, 'LOGIN');
  assert.equal(createSaslServer('CRAM-MD5'), undefined);
  assert.equal(createSaslServer(''), undefined);
});

test('PLAIN with an initial response is done at once; an empty authzid is undefined', () => {
  assert.deepEqual(credentials(server('PLAIN').start(b64('\0alice\0pw one'))), { authzid: undefined, authcid: 'alice', password: 'pw one' });
  assert.deepEqual(credentials(server('PLAIN').start(b64('admin\0alice\0p\u00e4ss'))), { authzid: 'admin', authcid: 'alice', password: 'p\u00e4ss' });
});

test('PLAIN without an initial response sends an empty challenge, then takes the response', () => {
  const s = server('PLAIN');
  assert.deepEqual(s.start(undefined), { kind: 'challenge', challenge: '' });
  assert.deepEqual(credentials(s.respond(b64('\0bob\0pw2'))), { authzid: undefined, authcid: 'bob', password: 'pw2' });
  assert.equal(failure(s.respond(b64('\0bob\0pw2'))), 'malformed', 'nothing after the exchange');
});

test('LOGIN asks Username: and Password: (base64, as Dovecot sends them)', () => {
  const s = server('LOGIN');
  assert.deepEqual(s.start(undefined), { kind: 'challenge', challenge: 'VXNlcm5hbWU6' });
  assert.deepEqual(s.respond(b64('carol')), { kind: 'challenge', challenge: 'UGFzc3dvcmQ6' });
  assert.deepEqual(credentials(s.respond(b64('hunter2'))), { authzid: undefined, authcid: 'carol', password: 'hunter2' });
});

test('LOGIN with the user name as initial response asks only for the password', () => {
  const s = server('LOGIN');
  assert.deepEqual(s.start(b64('dave')), { kind: 'challenge', challenge: 'UGFzc3dvcmQ6' });
  assert.deepEqual(credentials(s.respond(b64('pw'))), { authzid: undefined, authcid: 'dave', password: 'pw' });
});

test('`=` is an empty response (RFC 4959): an empty PLAIN message or user name is malformed', () => {
  assert.equal(failure(server('PLAIN').start('=')), 'malformed');
  assert.equal(failure(server('LOGIN').start('=')), 'malformed');
  const s = server('LOGIN');
  s.start(undefined);
  assert.equal(s.respond('=').kind, 'failed');
});

test('`*` aborts at every continuation; as an initial response it is no base64', () => {
  const plain = server('PLAIN');
  plain.start(undefined);
  assert.equal(failure(plain.respond('*')), 'aborted');
  const user = server('LOGIN');
  user.start(undefined);
  assert.equal(failure(user.respond('*')), 'aborted');
  const pass = server('LOGIN');
  pass.start(b64('erin'));
  assert.equal(failure(pass.respond('*')), 'aborted');
  assert.equal(failure(server('PLAIN').start('*')), 'invalid_base64');
});

test('strict base64: junk, whitespace, missing or stray padding and odd lengths are refused', () => {
  const good = b64('\0alice\0pw'); // 12 chars, no padding
  const padded = b64('\0alice\0pw1'); // ends with ==
  assert.match(padded, /==$/);
  const bad = [
    'not!base64',
    `${good.slice(0, 5)} ${good.slice(5)}`,
    `${good}\t`,
    padded.slice(0, -2), // padding left out
    padded.slice(0, -1), // half the padding
    `${good}=`,
    `${good}A`, // 13 chars
    `${good}AB`, // 14 chars, no padding
    `${good}ABC`, // 15 chars, no padding
    '=A==',
    `${good.slice(0, 4)}==${good.slice(4)}`, // padding in the middle
    '-_-_', // base64url alphabet
    '\u00e9AAA',
  ];
  for (const text of bad) {
    assert.equal(failure(server('PLAIN').start(text)), 'invalid_base64', JSON.stringify(text));
    const login = server('LOGIN');
    login.start(undefined);
    assert.equal(failure(login.respond(text)), 'invalid_base64', JSON.stringify(text));
  }
  assert.equal(credentials(server('PLAIN').start(padded)).password, 'pw1');
});

test('a response cut anywhere but at a 4-character boundary is invalid base64 (never decoded in part)', () => {
  const whole = b64('\0alice\0secret-pw');
  for (let at = 1; at < whole.length; at++) {
    if (at % 4 === 0) continue;
    const s = server('PLAIN');
    s.start(undefined);
    assert.equal(failure(s.respond(whole.slice(0, at))), 'invalid_base64', `cut at ${at}`);
    // And the rest as the next line: the exchange is over, not resumed.
    assert.equal(failure(s.respond(whole.slice(at))), 'malformed', `rest after ${at}`);
  }
});

test('PLAIN: NULs must be exactly two; empty authcid or password is malformed', () => {
  const cases = [
    'alice', // no NUL
    '\0alice', // one NUL
    'alice\0pw', // one NUL
    '\0\0pw', // empty authcid
    'admin\0\0pw', // empty authcid with authzid
    '\0alice\0', // empty password
    '\0alice\0pw\0', // three NULs
    '\0al\0ice\0pw', // NUL inside the authcid
    '\0alice\0p\0w', // NUL inside the password
    '\0\0\0',
  ];
  for (const text of cases) assert.equal(failure(server('PLAIN').start(b64(text))), 'malformed', JSON.stringify(text));
});

test('LOGIN: NUL in the user name or password, an empty password, or bytes that are not UTF-8 are malformed', () => {
  assert.equal(failure(server('LOGIN').start(b64('al\0ice'))), 'malformed');
  const nulPassword = server('LOGIN');
  nulPassword.start(b64('alice'));
  assert.equal(failure(nulPassword.respond(b64('p\0w'))), 'malformed');
  const empty = server('LOGIN');
  empty.start(b64('alice'));
  assert.equal(failure(empty.respond('=')), 'malformed');
  assert.equal(failure(server('LOGIN').start(Buffer.from([0xff, 0xfe]).toString('base64'))), 'malformed');
  assert.equal(failure(server('PLAIN').start(Buffer.from([0, 0x61, 0, 0xc3]).toString('base64'))), 'malformed');
});

test('a password never appears in a failure, in the step as text, or in a log of the credentials', () => {
  const password = 'Sup3r-s3cret-pw';
  const steps: SaslStep[] = [
    server('PLAIN').start(b64(`\0alice\0${password}\0`)),
    server('PLAIN').start(b64(`\0\0${password}`)),
    server('PLAIN').start(b64(`${password}`)),
    server('PLAIN').start(`${b64(`\0alice\0${password}`)}!`),
    server('PLAIN').start(b64(`\0alice\0${password}`)),
  ];
  const login = server('LOGIN');
  login.start(b64('alice'));
  steps.push(login.respond(b64(`${password}\0`)));
  for (const step of steps) {
    for (const text of [JSON.stringify(step), inspect(step, { depth: 5 }), String(step.kind === 'failed' ? step.detail : '')]) {
      assert.ok(!text.includes(password), text);
      assert.ok(!text.includes(b64(password)), text);
    }
  }
});

test('encodePlain builds authzid NUL authcid NUL password', () => {
  assert.equal(Buffer.from(encodePlain('', 'alice', new Secret('pw 1')), 'base64').toString('utf8'), '\0alice\0pw 1');
  assert.equal(Buffer.from(encodePlain('alice', 'proxy', new Secret('m\u00e4ster')), 'base64').toString('utf8'), 'alice\0proxy\0m\u00e4ster');
  // What the backend side encodes, the front-end side decodes.
  assert.deepEqual(credentials(server('PLAIN').start(encodePlain('bob', 'carol', new Secret('x y')))), { authzid: 'bob', authcid: 'carol', password: 'x y' });
});
