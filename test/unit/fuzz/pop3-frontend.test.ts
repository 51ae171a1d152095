import { test } from 'node:test';
import { pop3Prelogin, type Pop3Frame } from '../../../src/protocols/pop3/connection.js';
import { watchEscapes } from './escapes.js';
import { checkLines, fuzzFrontend, fuzzLongLine, type FrontendFuzzCase } from './frontend-harness.js';

watchEscapes();

const plain = Buffer.from('\0alice\0pw').toString('base64');

/** A status line (RFC 1939 §3), a SASL challenge (RFC 5034 §4), or a line of a multi-line +OK (CAPA, AUTH). */
const STATUS = /^(?:\+OK|-ERR)(?: .*)?$/;
const CHALLENGE = /^\+ [A-Za-z0-9+/=]*$/;
const LIST_ITEM = /^(?:[A-Z0-9][A-Z0-9-]*(?: [!-~]+)*|\.)$/;

const pop3: FrontendFuzzCase<Pop3Frame> = {
  protocol: 'pop3',
  prelogin: pop3Prelogin('mail-director'),
  transcript: [
    'CAPA\r\n',
    'USER alice\r\n',
    'PASS pw\r\n',
    'USER alice\r\nPASS pw\r\n',
    `AUTH PLAIN ${plain}\r\n`,
    `AUTH PLAIN\r\n${plain}\r\n`,
    'AUTH LOGIN\r\nYWxpY2U=\r\ncHc=\r\n',
    'AUTH PLAIN =\r\n',
    'AUTH PLAIN\r\n*\r\n',
    'AUTH\r\n',
    'APOP alice 0123456789abcdef0123456789abcdef\r\n',
    'STLS\r\n',
    'NOOP\r\n',
    'QUIT\r\n',
  ],
  tokens: ['USER ', 'PASS ', 'AUTH ', 'PLAIN', 'LOGIN', 'CAPA'],
  isFramingError: (frame) => frame.kind === 'too-long',
  checkOutput(output) {
    // Inside a multi-line reply (after a bare +OK) until its `.`.
    let inList = false;
    return checkLines(output, (line, previous) => {
      if (previous === '+OK' && !inList) inList = true;
      if (inList && LIST_ITEM.test(line)) {
        if (line === '.') inList = false;
        return true;
      }
      inList = false;
      return STATUS.test(line) || CHALLENGE.test(line);
    });
  },
};

test('pop3: fuzzed input never breaks the connection rules or the reply syntax', async () => {
  await fuzzFrontend(pop3, 80);
});

test('pop3: a line over max_line_length ends the connection', async () => {
  await fuzzLongLine(pop3, /^-ERR Input buffer full, aborting$/, 15);
});
