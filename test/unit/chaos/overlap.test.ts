// The chaos run's I1 session intervals (test/chaos/overlap.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LoginEvent } from '../../harness/dovecot.js';
import { dovecotTime, findOverlaps, sessionsOf } from '../../chaos/overlap.js';

const ev = (time: string, event: 'login' | 'logout', session: string, user = 'user0001'): LoginEvent => ({ time: `2026-12-06 ${time}`, user, session, event, protocol: 'imap' });

test('a logout line written before its session\'s login line still ends that session (it is not open until the next kill)', () => {
  // As seen on a backend: the mail process logged "Disconnected" 6 ms before the login process logged "Login:".
  const b3 = sessionsOf('b3', [ev('21:29:14.335539', 'logout', 's1'), ev('21:29:14.341650', 'login', 's1')], [dovecotTime('2026-12-06 21:33:08.121')], dovecotTime('2026-12-06 21:40:00.0'));
  assert.deepEqual(b3.map((i) => [i.session, i.endedBy, i.end - i.start]), [['s1', 'logout', 0]]);
  const b2 = sessionsOf('b2', [ev('21:29:51.895365', 'login', 's2'), ev('21:29:56.815820', 'logout', 's2')], [], dovecotTime('2026-12-06 21:40:00.0'));
  assert.deepEqual(findOverlaps([...b3, ...b2]), []);
});

test('a session without a logout ends at the first kill after it started, else at the run end', () => {
  const kills = [dovecotTime('2026-12-06 10:00:00.5'), dovecotTime('2026-12-06 10:00:05.0')];
  const s = sessionsOf('b1', [ev('10:00:01.0', 'login', 'a'), ev('10:00:06.0', 'login', 'b')], kills, dovecotTime('2026-12-06 10:00:09.0'));
  assert.deepEqual(s.map((i) => [i.session, i.endedBy, i.end]), [['a', 'kill', kills[1]], ['b', 'run-end', dovecotTime('2026-12-06 10:00:09.0')]]);
});
