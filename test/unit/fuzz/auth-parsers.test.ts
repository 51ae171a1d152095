import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createSaslServer, type SaslStep } from '../../../src/auth/sasl.js';
import { createOAuth2Server } from '../../../src/auth/sasl-oauth2.js';
import { parsePasswdFile } from '../../../src/auth/passwd-file.js';
import { applyMutation, fuzzParameters } from './inputs.js';

/**
 * SASL PLAIN/LOGIN with arbitrary initial responses and continuations, and
 * the passwd-file reader with arbitrary and mutated files: nothing throws;
 * a SASL failure never carries the decoded bytes (they may be a password).
 */

const bytes = fc.uint8Array({ maxLength: 60 });
/** What a client may send as one SASL line: base64 of anything, raw text, or the special `*` and `=`. */
const saslLine = fc.oneof(
  bytes.map((b) => Buffer.from(b).toString('base64')),
  fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 })).map(([z, c, p]) => Buffer.from(`${z}\0${c}\0${p}`).toString('base64')),
  fc.string({ maxLength: 60, unit: 'binary' }),
  fc.constantFrom('*', '=', '', '====', 'AA==', 'AA=', 'A', '\0'),
);

/** Substrings of what the client's lines decode to that a failure detail must not contain. */
// Long enough that a match is the client's bytes and not a word of the module's own fixed texts ("name" in "username").
function secretsOf(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const decoded = Buffer.from(line, 'base64').toString('utf8');
    for (const part of decoded.split('\0')) if (part.trim().length >= 12) out.push(part);
  }
  return out;
}

test('sasl: arbitrary initial responses and continuations never throw; failures never hold the decoded bytes', () => {
  fc.assert(
    fc.property(
      fc.constantFrom('PLAIN', 'LOGIN', 'plain', 'login'),
      fc.option(saslLine, { nil: undefined }),
      fc.array(saslLine, { maxLength: 4 }),
      (mechanism, initial, continuations) => {
        const sasl = createSaslServer(mechanism);
        assert.ok(sasl !== undefined);
        let step: SaslStep = sasl.start(initial);
        const sent = initial === undefined ? [] : [initial];
        for (const line of continuations) {
          if (step.kind !== 'challenge') {
            // Past the end of the exchange: refused, not thrown.
            assert.equal(sasl.respond(line).kind, 'failed');
            continue;
          }
          sent.push(line);
          step = sasl.respond(line);
        }
        if (step.kind === 'failed') {
          assert.deepEqual(Object.keys(step).sort(), ['detail', 'kind', 'reason']);
          for (const secret of secretsOf(sent)) assert.ok(!step.detail.includes(secret), `failure detail ${JSON.stringify(step.detail)} holds client bytes`);
        } else if (step.kind === 'done') {
          assert.ok(step.credentials.authcid.length > 0);
          assert.ok(!step.credentials.password.isEmpty);
          assert.ok(!step.credentials.authcid.includes('\0') && !step.credentials.password.reveal().includes('\0'));
        } else {
          assert.match(step.challenge, /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/);
        }
      },
    ),
    fuzzParameters(3000),
  );
});

/** OAuth messages: well-formed ones with fuzzed fields, and raw bytes. */
const oauthLine = fc.oneof(
  saslLine,
  fc
    .tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 }), fc.constantFrom('user=', 'n,a=', 'y,a=', 'p=x,a=', ''))
    .map(([user, token, head]) => Buffer.from(`${head}${user}${head === 'user=' ? '' : ','}\x01auth=Bearer ${token}\x01\x01`).toString('base64')),
);

test('sasl: XOAUTH2/OAUTHBEARER messages never throw; failures never hold the token or the name', () => {
  fc.assert(
    fc.property(fc.constantFrom('XOAUTH2', 'OAUTHBEARER'), fc.option(oauthLine, { nil: undefined }), fc.array(oauthLine, { maxLength: 3 }), (mechanism, initial, rest) => {
      const sasl = createOAuth2Server(mechanism);
      assert.ok(sasl !== undefined);
      let step: SaslStep = sasl.start(initial);
      const sent = initial === undefined ? [] : [initial];
      for (const line of rest) {
        if (step.kind !== 'challenge') break;
        sent.push(line);
        step = sasl.respond(line);
      }
      if (step.kind === 'failed') {
        for (const line of sent) {
          for (const part of Buffer.from(line, 'base64').toString('utf8').split(/[\x01,]/)) {
            if (part.trim().length >= 12) assert.ok(!step.detail.includes(part), `failure detail ${JSON.stringify(step.detail)} holds client bytes`);
          }
        }
      } else if (step.kind === 'done') {
        assert.ok(step.credentials.authcid.length > 0);
        assert.ok(!step.credentials.password.isEmpty && !/[\r\n]/.test(step.credentials.password.reveal()));
      }
    }),
    fuzzParameters(3000),
  );
});

test('sasl: PLAIN takes exactly what a well-formed message holds', () => {
  const part = fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.includes('\0'));
  fc.assert(
    fc.property(fc.option(part, { nil: '' }), part, part, (authzid, authcid, password) => {
      const step = createSaslServer('PLAIN')?.start(Buffer.from(`${authzid}\0${authcid}\0${password}`).toString('base64'));
      assert.equal(step?.kind, 'done');
      if (step?.kind !== 'done') return;
      assert.equal(step.credentials.authcid, authcid);
      assert.equal(step.credentials.authzid, authzid === '' ? undefined : authzid);
      assert.equal(step.credentials.password.reveal(), password);
    }),
    fuzzParameters(500),
  );
});

const PASSWD_EXAMPLE = [
  '# users',
  'alice:{PLAIN}secret:1000:1000::/home/alice:/bin/false:proxy=y host=10.0.0.1',
  'bob:{SHA512-CRYPT}$6$salt$hash::::::nologin reason=gone:away',
  '',
  'carol:plain',
  'dave::::::::nopassword',
].join('\n');

test('passwd-file: arbitrary and mutated files never throw; problems name lines of the file', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 400, unit: 'binary' }),
    fc.array(fc.constantFrom(':', '\n', '\r\n', '#', ' ', '=', 'user', '{PLAIN}', 'proxy=y', '\0', 'é'), { maxLength: 60 }).map((parts) => parts.join('')),
    fc
      .array(
        fc.oneof(
          fc.record({ kind: fc.constant('flip' as const), at: fc.nat({ max: 4096 }), bit: fc.integer({ min: 0, max: 7 }) }),
          fc.record({ kind: fc.constant('token' as const), at: fc.nat({ max: 4096 }), token: fc.constantFrom(':', '\n', '\r', '#', ' ', '=', '\0', '\\') }),
          fc.record({ kind: fc.constant('delete' as const), at: fc.nat({ max: 4096 }), length: fc.integer({ min: 1, max: 10 }) }),
        ),
        { maxLength: 8 },
      )
      .map((mutations) => mutations.reduce(applyMutation, Buffer.from(PASSWD_EXAMPLE)).toString('utf8')),
  );
  fc.assert(
    fc.property(text, (file) => {
      const parsed = parsePasswdFile(file);
      const lineCount = file.split(/\r?\n/).length;
      for (const p of parsed.problems) {
        assert.ok(Number.isInteger(p.line) && p.line >= 1 && p.line <= lineCount, `problem on line ${p.line} of ${lineCount}`);
        assert.ok(p.problem.length > 0);
      }
      for (const [user, entry] of parsed.entries) {
        assert.equal(entry.user, user);
        assert.ok(user.length > 0 && !user.includes(':') && !user.includes('\n'));
      }
    }),
    fuzzParameters(2000),
  );
});
