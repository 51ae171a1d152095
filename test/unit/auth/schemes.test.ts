import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret } from '../../../src/core/secret.js';
import { schemeOf, verifyPassword } from '../../../src/auth/schemes.js';

// Every vector below was produced by `doveadm pw -s SCHEME -p 'Pässw0rd:x y'` (Dovecot 2.3.19)
// or `openssl passwd`; none is computed by the code under test.
const PASSWORD = 'Pässw0rd:x y';
const VECTORS: readonly (readonly [string, string])[] = [
  ['PLAIN', '{PLAIN}Pässw0rd:x y'],
  ['CLEARTEXT', '{CLEARTEXT}Pässw0rd:x y'],
  ['SHA', '{SHA}IfGgldOlodgtrYgyuvjbwmEfOXU='],
  ['SHA.HEX', '{SHA.HEX}21f1a095d3a5a1d82dad8832baf8dbc2611f3975'],
  ['SSHA', '{SSHA}S2fKcOagb6c5Rq1gdvAQwf4HjpfsrAWX'],
  ['SSHA256', '{SSHA256}n3zmR/JLEulUHHqEou6zq7oLFX55mAAgmG0kMmwDv4S95gMj'],
  ['SSHA512', '{SSHA512}6wlgwnJduv9m0xxE2j3NRWox1X269W7NAieS5FPIMvFsoqfdrEPUe/f2IGBcWHNLjzoomRk3rs8EhtrUNsJbPmVYzyg='],
  ['SHA256', '{SHA256}LkY+usq2PwqV2QHsKkFAaDMpgUxuZYBfZAr+QdZRljg='],
  ['SHA256.HEX', '{SHA256.HEX}2e463ebacab63f0a95d901ec2a4140683329814c6e65805f640afe41d6519638'],
  ['SHA512', '{SHA512}En+uHFOcn/Wg+20C8DZ8odtOOtkmQ8gfK8qhbNDNheVK/xQHUYMGboG5w0H80WyGWQqNdji30N3QP+iV5KGpfA=='],
  ['SHA512-CRYPT', '{SHA512-CRYPT}$6$iu2U/rEQYvSMPVzY$08I3E3iP4y3WKDblgKn/mjacwIVuEhU/Fa19JSwa4TqsX4MZYk7APasADhITxiVgH4NIC/UxhXm/lPkROsdHM0'],
  ['SHA256-CRYPT', '{SHA256-CRYPT}$5$i.msLt884m/s.Bl9$PRSi/Ir8VE5cVGFkVBG7oVVH.pbYliYK.otuSMc2lq6'],
  ['MD5-CRYPT', '{MD5-CRYPT}$1$.IlKOLDM$QzM8GOAMRaOB2DMyTXwoi.'],
  ['PLAIN-MD5', '{PLAIN-MD5}ab0551589caf7a71797d5350fb6d21f2'],
  ['LDAP-MD5', '{LDAP-MD5}qwVRWJyvenF5fVNQ+20h8g=='],
  ['SMD5', '{SMD5}jBLM/EPC4w2cCTMfyq0ti2tLaF4='],
  ['no prefix (plaintext)', 'Pässw0rd:x y'],
];

for (const [name, stored] of VECTORS) {
  test(`${name}: the right password matches`, async () => {
    assert.deepEqual(await verifyPassword(stored, new Secret(PASSWORD)), { kind: 'match' });
  });
  test(`${name}: a wrong password does not`, async () => {
    assert.deepEqual(await verifyPassword(stored, new Secret('Pässw0rd:x z')), { kind: 'mismatch' });
    assert.deepEqual(await verifyPassword(stored, new Secret('')), { kind: 'mismatch' });
  });
}

test('SHA512-CRYPT with rounds= and {CRYPT}, from doveadm and openssl', async () => {
  const secret = new Secret('secret');
  const rounds = '{SHA512-CRYPT}$6$rounds=10000$iGhGcMGF7w1puPpI$SOrPko0JJ6lvoJwmwq8eY1V4E9nMTKm8Y42cX5kZUpZezBbBoBOszVvGFpuBKkW7n8CPstD73D6YjHilTHZmB.';
  assert.equal((await verifyPassword(rounds, secret)).kind, 'match');
  // openssl passwd -6 -salt saltsalt secret
  const openssl6 = '$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1';
  assert.equal((await verifyPassword(`{CRYPT}${openssl6}`, secret)).kind, 'match');
  // Unprefixed crypt strings (as OpenLDAP {CRYPT} values often arrive) are hashes, not plaintext.
  assert.equal((await verifyPassword(openssl6, secret)).kind, 'match');
  assert.equal((await verifyPassword(openssl6, new Secret(openssl6))).kind, 'mismatch');
  // openssl passwd -5 -salt abc 'Hello world!'
  assert.equal((await verifyPassword('{CRYPT}$5$abc$6eVtF.HYJrh1xHLVKcPLbuY4ZswvvTvyjCxwUteyZB2', new Secret('Hello world!'))).kind, 'match');
  // glibc test vector for SHA256-CRYPT with rounds=10000 and a salt longer than 16 characters.
  assert.equal(
    (await verifyPassword('$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA', new Secret('Hello world!'))).kind,
    'match',
  );
});

test('scheme names are case-insensitive', async () => {
  assert.equal((await verifyPassword('{ssha}S2fKcOagb6c5Rq1gdvAQwf4HjpfsrAWX', new Secret(PASSWORD))).kind, 'match');
  assert.equal((await verifyPassword('{plain}abc', new Secret('abc'))).kind, 'match');
});

test('BLF-CRYPT ($2y$ from doveadm) verifies the right password and rejects a wrong one', async () => {
  // doveadm pw -s BLF-CRYPT -p 'Pässw0rd:x y'
  const stored = '{BLF-CRYPT}$2y$05$4xq3c/xJ18p4AOpm9BnkGeZWJHZKrrGVwF5KshA7siV/2IZlYOU4i';
  const right = await verifyPassword(stored, new Secret(PASSWORD));
  const wrong = await verifyPassword(stored, new Secret('nope'));
  assert.equal(right.kind, 'match');
  assert.equal(wrong.kind, 'mismatch');
});

test('unknown or malformed stored values are "cannot verify", not a crash or a match', async () => {
  const pw = new Secret('x');
  assert.deepEqual(await verifyPassword('{ARGON2ID}$argon2id$v=19$m=65536', pw), {
    kind: 'unsupported',
    scheme: 'ARGON2ID',
    reason: 'unknown password scheme',
  });
  assert.equal((await verifyPassword('{SSHA}not base64!!', pw)).kind, 'unsupported');
  assert.equal((await verifyPassword('{SHA}AAAA', pw)).kind, 'unsupported');
  assert.equal((await verifyPassword('{CRYPT}abJnggxhB/yWI', pw)).kind, 'unsupported'); // DES crypt
  assert.equal((await verifyPassword('{SHA512-CRYPT}$5$abc$x', pw)).kind, 'unsupported');
});

test('schemeOf names the scheme without the encoding', () => {
  assert.equal(schemeOf('{SHA256.HEX}00'), 'SHA256');
  assert.equal(schemeOf('{ssha}x'), 'SSHA');
  assert.equal(schemeOf('$6$a$b'), 'CRYPT');
  assert.equal(schemeOf('hunter2'), 'PLAIN');
});
