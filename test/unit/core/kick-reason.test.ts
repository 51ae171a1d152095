import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KICKED_BY_ADMIN, MAX_KICK_REASON, sanitizeKickReason } from '../../../src/core/failure.js';
import { imapKickText } from '../../../src/protocols/imap/replies.js';
import { pop3KickText } from '../../../src/protocols/pop3/replies.js';
import { sieveKickText } from '../../../src/protocols/sieve/replies.js';
import { CLOSING } from '../../../src/protocols/submission/replies.js';

test('a kick reason keeps printable ASCII only, one line, no leading [, bounded', () => {
  assert.equal(sanitizeKickReason('Mailbox maintenance'), 'Mailbox maintenance');
  assert.equal(sanitizeKickReason('a\r\n* OK injected\x00\x1b[31m'), 'a * OK injected [31m');
  assert.equal(sanitizeKickReason('Wartung läuft'), 'Wartung l uft');
  assert.equal(sanitizeKickReason('[ALERT] x'), 'ALERT] x');
  assert.equal(sanitizeKickReason('\r\n\t'), '');
  assert.equal(sanitizeKickReason('x'.repeat(1000)).length, MAX_KICK_REASON);
});

test('each protocol tells a kicked client the reason its own way, or its own text when none was given', () => {
  assert.equal(imapKickText('Back at 14:00'), '* BYE Back at 14:00\r\n');
  assert.equal(imapKickText(KICKED_BY_ADMIN), '* BYE Disconnected for administrative reasons.\r\n');
  assert.equal(pop3KickText('Back at 14:00'), '-ERR [SYS/TEMP] Back at 14:00\r\n');
  assert.equal(pop3KickText(KICKED_BY_ADMIN), '-ERR [SYS/TEMP] Disconnected by proxy: Kicked by admin\r\n');
  // RFC 5804: the reason is a quoted string; quotes and backslashes escaped.
  assert.equal(sieveKickText('say "bye" \\ now'), 'BYE "say \\"bye\\" \\\\ now"\r\n');
  assert.equal(sieveKickText(KICKED_BY_ADMIN), 'BYE "Disconnected for administrative reasons."\r\n');
  assert.equal(CLOSING.kicked('mx.example', 'Back at 14:00'), '421 4.3.2 mx.example Back at 14:00');
  assert.equal(CLOSING.kicked('mx.example'), '421 4.3.2 mx.example Disconnected by proxy: Kicked by admin');
  // Nothing printable left: the protocol's own text.
  assert.equal(imapKickText('\x00\x01'), '* BYE Disconnected for administrative reasons.\r\n');
});
