import { test } from 'node:test';
import { submissionPrelogin, type SubmissionFrame } from '../../../src/protocols/submission/connection.js';
import { watchEscapes } from './escapes.js';
import { checkSmtpReplies, fuzzFrontend, fuzzLongLine, type FrontendFuzzCase } from './frontend-harness.js';

watchEscapes();

const plain = Buffer.from('\0alice\0pw').toString('base64');

const submission: FrontendFuzzCase<SubmissionFrame> = {
  protocol: 'submission',
  prelogin: submissionPrelogin({ hostname: 'director.test', greeting: 'mail-director ready.' }),
  transcript: [
    'EHLO client.test\r\n',
    'HELO client.test\r\n',
    `AUTH PLAIN ${plain}\r\n`,
    `AUTH PLAIN\r\n${plain}\r\n`,
    'AUTH LOGIN\r\nYWxpY2U=\r\ncHc=\r\n',
    'AUTH LOGIN YWxpY2U=\r\ncHc=\r\n',
    'AUTH PLAIN =\r\n',
    'AUTH PLAIN\r\n*\r\n',
    'MAIL FROM:<a@example.org>\r\n',
    'RCPT TO:<b@example.org>\r\n',
    'DATA\r\n',
    'RSET\r\n',
    'NOOP\r\n',
    'STARTTLS\r\n',
    'QUIT\r\n',
  ],
  tokens: ['EHLO ', 'AUTH ', 'PLAIN', 'LOGIN', 'MAIL FROM:<', '>'],
  isFramingError: (frame) => frame.kind === 'too-long',
  checkOutput: checkSmtpReplies,
};

test('submission: fuzzed input never breaks the connection rules or the reply syntax', async () => {
  await fuzzFrontend(submission, 80);
});

test('submission: a line over max_line_length ends the connection', async () => {
  await fuzzLongLine(submission, /^500 5\.5\.2 Line too long$/, 15);
});
