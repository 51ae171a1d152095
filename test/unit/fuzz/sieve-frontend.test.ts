import { test } from 'node:test';
import { sievePrelogin } from '../../../src/protocols/sieve/connection.js';
import type { FramerEvent } from '../../../src/session/literal-framer.js';
import { watchEscapes } from './escapes.js';
import { fuzzFrontend, fuzzLongLine, type FrontendFuzzCase } from './frontend-harness.js';

watchEscapes();

const plain = Buffer.from('\0alice\0pw').toString('base64');

type Token = 'atom' | 'string' | 'code';

/**
 * The server's output as ManageSieve responses (RFC 5804 §4): `OK|NO|BYE
 * [(code)] [string]`, capability lines (`"NAME" ["value"]`) and SASL
 * challenges (a string); strings quoted (no CR, LF or NUL, `\` escapes only
 * `"` and `\`) or literals `{n}` CRLF n octets.
 */
function checkSieveOutput(out: Buffer): string | undefined {
  let i = 0;
  const at = (): string => JSON.stringify(out.toString('latin1', Math.max(0, i - 40), i + 40));
  while (i < out.length) {
    const tokens: Array<{ kind: Token; text: string }> = [];
    for (;;) {
      const c = out[i];
      if (c === 0x22) {
        i++;
        for (;;) {
          const q = out[i];
          if (q === undefined || q === 0x0d || q === 0x0a || q === 0x00) return `bad quoted string at ${at()}`;
          if (q === 0x22) break;
          if (q === 0x5c) {
            if (out[i + 1] !== 0x22 && out[i + 1] !== 0x5c) return `bad escape at ${at()}`;
            i++;
          }
          i++;
        }
        i++;
        tokens.push({ kind: 'string', text: '' });
      } else if (c === 0x7b) {
        const m = /^\{(\d{1,9})\}\r\n/.exec(out.toString('latin1', i, i + 14));
        if (m === null) return `bad literal at ${at()}`;
        i += m[0].length + Number(m[1]);
        if (i > out.length) return 'literal runs past the output';
        tokens.push({ kind: 'string', text: '' });
      } else if (c === 0x28) {
        const close = out.indexOf(0x29, i);
        const code = out.toString('latin1', i + 1, close);
        if (close < 0 || !/^[\x20-\x7e]+$/.test(code) || code.includes('(')) return `bad response code at ${at()}`;
        i = close + 1;
        tokens.push({ kind: 'code', text: code });
      } else {
        const start = i;
        while (i < out.length && out[i] !== 0x20 && out[i] !== 0x0d) i++;
        const atom = out.toString('latin1', start, i);
        if (!/^[A-Z]+$/.test(atom)) return `bad atom ${JSON.stringify(atom)} at ${at()}`;
        tokens.push({ kind: 'atom', text: atom });
      }
      if (out[i] === 0x0d && out[i + 1] === 0x0a) {
        i += 2;
        break;
      }
      if (out[i] !== 0x20) return `expected SP or CRLF at ${at()}`;
      i++;
    }
    const shape = tokens.map((t) => t.kind).join(' ');
    const first = tokens[0];
    if (first?.kind === 'atom') {
      if (!['OK', 'NO', 'BYE'].includes(first.text)) return `unknown status ${first.text}`;
      if (!/^atom( code)?( string)?$/.test(shape)) return `bad response shape ${shape} at ${at()}`;
    } else if (shape !== 'string' && shape !== 'string string') {
      return `bad line shape ${shape} at ${at()}`;
    }
  }
  return undefined;
}

const sieve: FrontendFuzzCase<FramerEvent> = {
  protocol: 'sieve',
  prelogin: sievePrelogin,
  transcript: [
    'CAPABILITY\r\n',
    'NOOP\r\n',
    'NOOP "tag"\r\n',
    `AUTHENTICATE "PLAIN" "${plain}"\r\n`,
    `AUTHENTICATE "PLAIN" {${plain.length}+}\r\n${plain}\r\n`,
    `AUTHENTICATE "PLAIN"\r\n"${plain}"\r\n`,
    'AUTHENTICATE "LOGIN"\r\n"YWxpY2U="\r\n"cHc="\r\n',
    'AUTHENTICATE "PLAIN"\r\n"*"\r\n',
    'AUTHENTICATE "PLAIN"\r\n\r\n',
    'AUTHENTICATE "PLAIN" "="\r\n',
    'STARTTLS\r\n',
    'LOGOUT\r\n',
  ],
  tokens: ['AUTHENTICATE ', '"PLAIN"', '"LOGIN"', 'NOOP ', '{3+}\r\nabc', '{3}\r\nabc'],
  isFramingError: (event) => event.kind === 'error',
  checkOutput: checkSieveOutput,
};

test('sieve: fuzzed input never breaks the connection rules or the reply syntax', async () => {
  await fuzzFrontend(sieve, 80);
});

test('sieve: a line over max_line_length ends the connection', async () => {
  await fuzzLongLine(sieve, /^BYE "Input buffer full, aborting"$/, 15);
});
