import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { checkConfigText } from '../../../src/config/load.js';
import { applyMutation, fuzzParameters, type Mutation } from './inputs.js';

/**
 * The config reader with random YAML-ish text and mutations of
 * cluster-config/example.yaml: checkConfigText never throws, and every
 * problem points inside the text (line and column) and names a key.
 */

const EXAMPLE = readFileSync(new URL('../../../cluster-config/example.yaml', import.meta.url), 'utf8');

/** YAML's own syntax, the example's keys and values of the wrong kinds. */
const YAML_BITS = [
  ':', ': ', '\n', '\n  ', '- ', '[', ']', '{', '}', ',', '"', "'", '#', '&a ', '*a', '*b', '!!str ', '!!binary ', '? ', '|', '>',
  '---\n', '...\n', '%YAML 1.2\n', '<<: *a\n', '\t', ' ', '\0', '\ufeff', 'é',
  'director', 'id', 'listen', 'limits', 'passdb', 'ring', 'tls', 'backends', 'driver', 'ldap', 'passwd-file', 'uris',
  'max_line_length', 'prelogin_timeout', '64KiB', '3m', '-1', '0', '1e400', '99999999999999999999', 'true', 'null', '~', '0x10', '127.0.0.1:0', '[::1]:143',
];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat({ max: 100_000 }), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('token' as const), at: fc.nat({ max: 100_000 }), token: fc.constantFrom(...YAML_BITS) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat({ max: 100_000 }), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat({ max: 100_000 }) }),
);

const configText = fc.oneof(
  { arbitrary: fc.array(fc.constantFrom(...YAML_BITS), { maxLength: 50 }).map((parts) => parts.join('')), weight: 2 },
  { arbitrary: fc.string({ maxLength: 300, unit: 'binary' }), weight: 1 },
  { arbitrary: fc.array(mutation, { minLength: 1, maxLength: 6 }).map((ms) => ms.reduce(applyMutation, Buffer.from(EXAMPLE)).toString('utf8')), weight: 4 },
);

test('config: random and mutated config text never throws; every problem is placed in the text and names a key', () => {
  fc.assert(
    fc.property(configText, (text) => {
      const result = checkConfigText('/nonexistent/fuzz.yaml', text);
      const lines = text.split('\n');
      if (result.config === undefined) assert.ok(result.problems.length > 0, 'no config and no problem');
      for (const p of result.problems) {
        const where = JSON.stringify(p);
        assert.equal(p.file, '/nonexistent/fuzz.yaml');
        assert.ok(Number.isInteger(p.line) && p.line >= 1 && p.line <= lines.length, `line out of the text: ${where}`);
        const lineText = lines[p.line - 1] ?? '';
        assert.ok(Number.isInteger(p.column) && p.column >= 1 && p.column <= lineText.length + 1, `column out of the line: ${where}`);
        assert.equal(typeof p.key, 'string', where);
        assert.ok(p.message.length > 0, where);
      }
    }),
    fuzzParameters(300),
  );
});
