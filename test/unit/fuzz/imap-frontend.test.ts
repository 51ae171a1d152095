import { test } from 'node:test';
import { imapPrelogin } from '../../../src/protocols/imap/connection.js';
import type { FramerEvent } from '../../../src/session/literal-framer.js';
import { watchEscapes } from './escapes.js';
import { checkLines, fuzzFrontend, fuzzLongLine, type FrontendFuzzCase } from './frontend-harness.js';

watchEscapes();

const plain = Buffer.from('\0alice\0pw').toString('base64');

/** `* ...`, `+ ...`, or `TAG OK|NO|BAD ...` with a tag free of spaces (RFC 3501 §7). */
const IMAP_LINE = /^(?:\* \S.*|\+(?: .*)?|[^\s*+]\S* (?:OK|NO|BAD)(?: .*)?)$/;

const imap: FrontendFuzzCase<FramerEvent> = {
  protocol: 'imap',
  prelogin: imapPrelogin,
  transcript: [
    'a1 CAPABILITY\r\n',
    'a2 NOOP\r\n',
    'a3 ID ("name" "fuzz" "version" "1")\r\n',
    'a4 ENABLE UTF8=ACCEPT\r\n',
    'a5 LOGIN alice pw\r\n',
    'a6 LOGIN "al\\"ice" "p\\\\w"\r\n',
    'a7 LOGIN {5}\r\nalice {2}\r\npw\r\n',
    'a8 LOGIN {5+}\r\nalice {2+}\r\npw\r\n',
    `a9 AUTHENTICATE PLAIN ${plain}\r\n`,
    `b1 AUTHENTICATE PLAIN\r\n${plain}\r\n`,
    'b2 AUTHENTICATE LOGIN\r\nYWxpY2U=\r\ncHc=\r\n',
    'b3 AUTHENTICATE PLAIN\r\n*\r\n',
    'b4 STARTTLS\r\n',
    'b5 LOGOUT\r\n',
    'login alice pw\r\n',
    'b6 ID NIL\r\n',
  ],
  tokens: ['LOGIN', 'AUTHENTICATE', 'PLAIN', 'LOGIN ', 'NIL', 'a1 ', '* ', '((((((', '))'],
  isFramingError: (event) => event.kind === 'error',
  checkOutput: (output) => checkLines(output, (line) => IMAP_LINE.test(line)),
};

test('imap: fuzzed input never breaks the connection rules or the reply syntax', async () => {
  await fuzzFrontend(imap, 80);
});

test('imap: a line over max_line_length ends the connection', async () => {
  await fuzzLongLine(imap, /^\* BYE Input buffer full, aborting$/, 15);
});
