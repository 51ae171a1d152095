import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { sessionLogger } from '../../../src/session/session.js';

function capture(level: string): { parent: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const raw: string[] = [];
  const parent = pino({ level, base: { director: 'd1' } }, { write: (s: string) => void raw.push(s) });
  return { parent, lines: () => raw.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test('a session logger writes the same lines as a pino child, bindings included', () => {
  const { parent, lines } = capture('info');
  const log = sessionLogger(parent, { session: 'S1', protocol: 'imap' });
  log.debug({ a: 1 }, 'below the level');
  log.info({ user: 'u' }, 'proxied login');
  log.child({ component: 'x' }).warn('from a child');
  const written = lines();
  assert.equal(written.length, 2);
  assert.deepEqual(
    written.map(({ director, session, protocol, user, component, msg }) => ({ director, session, protocol, user, component, msg })),
    [
      { director: 'd1', session: 'S1', protocol: 'imap', user: 'u', component: undefined, msg: 'proxied login' },
      { director: 'd1', session: 'S1', protocol: 'imap', user: undefined, component: 'x', msg: 'from a child' },
    ],
  );
  assert.deepEqual(log.bindings(), parent.child({ session: 'S1', protocol: 'imap' }).bindings());
});

test('a session logger follows the parent level at write time', () => {
  const { parent, lines } = capture('warn');
  const log = sessionLogger(parent, { session: 'S2' });
  log.info('dropped');
  assert.equal(log.isLevelEnabled('info'), false);
  parent.level = 'info';
  log.info('kept');
  assert.deepEqual(
    lines().map((l) => [l['session'], l['msg']]),
    [['S2', 'kept']],
  );
});
