// The chaos run's LMTP checks (test/chaos/deliveries.ts): a checker that
// never fires would make a clean chaos summary meaningless, so each finding
// is produced here from made-up records, logs and Maildirs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDeliveries, parseDeliveries, scanMaildirs, type FoundCopy } from '../../chaos/deliveries.js';
import type { LmtpMessage, RcptResult } from '../../chaos/lmtp-client.js';
import { dovecotTime, type Interval } from '../../chaos/overlap.js';

function msg(n: number, rcpts: RcptResult[]): LmtpMessage {
  return { n, messageId: `<m${n}@t>`, director: 'd1', sentAt: 0, rcpts };
}

const copy = (n: number, user: string, backend: string): FoundCopy => ({ backend, user, messageId: `<m${n}@t>`, file: `${backend}/${user}/${n}` });

test('parseDeliveries reads lmtp "saved mail" and sieve "stored mail" lines with microsecond times', () => {
  const log = [
    '2026-12-06 21:27:02.817916 lmtp(user0015)<15220><YwWQkf07irqrkope>: Info: msgid=<chaos-1-1@chaos.test>: saved mail to INBOX',
    "2026-12-06 21:27:03.000001 lmtp(user0002)<15220><abc>: Info: sieve: msgid=<x@y>: stored mail into mailbox 'INBOX'",
    '2026-12-06 21:27:03.5 imap(user0002)<1><s>: Info: Disconnected: Logged out in=1 out=2',
  ].join('\n');
  const d = parseDeliveries('b1', log);
  assert.deepEqual(d.map((x) => [x.backend, x.user, x.messageId]), [['b1', 'user0015', '<chaos-1-1@chaos.test>'], ['b1', 'user0002', '<x@y>']]);
  assert.equal(d[0]?.time, dovecotTime('2026-12-06 21:27:02.817916'));
});

test('checkDeliveries: lost, duplicated, refused but delivered, wrong user, unknown', () => {
  const sent = [
    msg(1, [{ user: 'u1', outcome: 'accepted', reply: '250' }, { user: 'u2', outcome: 'accepted', reply: '250' }]),
    msg(2, [{ user: 'u1', outcome: 'accepted', reply: '250' }]),
    msg(3, [{ user: 'u1', outcome: 'tempfail', reply: '451' }]),
    msg(4, [{ user: 'u1', outcome: 'unknown', reply: 'ended' }, { user: 'u2', outcome: 'unknown', reply: 'ended' }]),
    msg(5, [{ user: 'u3', outcome: 'unknown', reply: 'ended' }]),
  ];
  const copies = [copy(1, 'u1', 'b1'), copy(2, 'u1', 'b1'), copy(2, 'u1', 'b2'), copy(3, 'u1', 'b1'), copy(4, 'u1', 'b1'), copy(1, 'u3', 'b1'), copy(5, 'u3', 'b2'), copy(5, 'u3', 'b2')];
  const r = checkDeliveries(sent, copies, [], []);
  assert.deepEqual(r.lost.map((p) => [p.messageId, p.user]), [['<m1@t>', 'u2']]);
  assert.deepEqual(r.duplicated.map((p) => [p.messageId, p.user, p.copies]), [['<m2@t>', 'u1', ['b1', 'b2']], ['<m5@t>', 'u3', ['b2', 'b2']]]);
  assert.deepEqual(r.refusedButDelivered.map((p) => p.messageId), ['<m3@t>']);
  assert.deepEqual(r.wrongUser.map((p) => [p.messageId, p.user]), [['<m1@t>', 'u3']]);
  assert.equal(r.unknownFound, 2);
  assert.equal(r.unknownNotFound, 1);
  assert.equal(r.byOutcome.get('accepted'), 3);
});

test('checkDeliveries: a 451 for a backend lost after the dot is unknown (it may have saved the message); any other 451 delivered is a finding', () => {
  const sent = [
    msg(1, [{ user: 'u1', outcome: 'tempfail', reply: '451 4.4.0 Remote server not answering (connection lost)' }]),
    msg(2, [{ user: 'u1', outcome: 'tempfail', reply: '451 4.4.0 Remote server not answering (connection lost)' }]),
    msg(3, [{ user: 'u1', outcome: 'tempfail', reply: '451 4.4.0 Remote server not answering (connect)' }]),
  ];
  const r = checkDeliveries(sent, [copy(1, 'u1', 'b1'), copy(3, 'u1', 'b1')], [], []);
  assert.equal(r.unknownFound, 1);
  assert.equal(r.unknownNotFound, 1);
  assert.deepEqual(r.refusedButDelivered.map((p) => p.messageId), ['<m3@t>']);
});

test('checkDeliveries: a delivery to b1 while the user is live on b2 is misplaced; on the same backend or outside the session it is not', () => {
  const sent = [msg(1, [{ user: 'u1', outcome: 'accepted', reply: '250' }])];
  const session: Interval = { user: 'u1', backend: 'b2', session: 's', protocol: 'imap', start: 1000, end: 2000, endedBy: 'logout' };
  const at = (backend: string, time: number) => ({ backend, user: 'u1', messageId: '<m1@t>', time, line: '' });
  const r = checkDeliveries(sent, [copy(1, 'u1', 'b1')], [at('b1', 1500), at('b2', 1500), at('b1', 2500), at('b1', 999)], [session]);
  assert.equal(r.misplaced.length, 1);
  assert.equal(r.misplaced[0]?.delivery.time, 1500);
  assert.equal(r.misplaced[0]?.delivery.backend, 'b1');
  assert.equal(r.deliveryLines, 4);
});

test('scanMaildirs counts new/ and cur/ copies by Message-ID, not tmp/ or other messages', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'md-chaos-scan-'));
  try {
    const put = async (user: string, sub: string, name: string, id: string): Promise<void> => {
      await mkdir(join(dir, user, sub), { recursive: true });
      await writeFile(join(dir, user, sub, name), `Return-Path: <a@b>\r\nMessage-ID: ${id}\r\nSubject: s\r\n\r\nMessage-ID: <body@t>\r\n`);
    };
    await put('u1', 'new', 'a', '<m1@t>');
    await put('u1', 'cur', 'b:2,S', '<m1@t>');
    await put('u1', 'tmp', 'c', '<m1@t>');
    await put('u2', 'new', 'd', '<other@t>');
    const found = await scanMaildirs('b1', dir, (id) => id.startsWith('<m'));
    assert.deepEqual(found.map((f) => [f.backend, f.user, f.messageId]).sort(), [['b1', 'u1', '<m1@t>'], ['b1', 'u1', '<m1@t>']]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
