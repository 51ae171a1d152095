// /metrics on real directors of a three-director ring: backend health as the
// effective ring sees it, ring members, gossip lag and convergence, LDAP
// latency, logins and sessions; and no user names or IP addresses in it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DirectorHandle } from '../../harness/director.js';
import { login, openImap } from '../director/imap-support.js';
import { directorAt, cliJson, startRing, until, type Ring } from './ring-support.js';

let dir: string;
let ring: Ring;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-ring-metrics-'));
  ring = await startRing(dir);
});

after(async () => {
  await ring?.cluster.stop();
  await rm(dir, { recursive: true, force: true });
});

function director(i: number): DirectorHandle {
  return directorAt(ring, i);
}

async function scrape(d: DirectorHandle): Promise<string> {
  assert.ok(d.http !== null, `${d.id} has no http port`);
  const res = await fetch(`http://${d.host}:${d.http}/metrics`);
  assert.equal(res.status, 200);
  return res.text();
}

/** The value of one series, e.g. `maildirector_backend_up{backend="b1"}`; undefined when absent. */
function value(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${series} `)) continue;
    const v = line.slice(series.length + 1);
    return v === '+Inf' ? Infinity : Number(v);
  }
  return undefined;
}

test('ring, gossip and backend series are present and plausible on every director', async () => {
  const backends = ring.cluster.backends.map((b) => b.id);
  for (const d of ring.cluster.directors) {
    const text = await until(`${d.id} sees all three directors live`, 5000, async () => {
      const t = await scrape(d);
      return value(t, 'maildirector_ring_directors{state="live"}') === 3 ? t : undefined;
    });
    assert.equal(value(text, 'maildirector_ring_directors{state="dead"}'), 0);
    for (const b of backends) {
      assert.equal(value(text, `maildirector_backend_up{backend="${b}"}`), 1, `${d.id}: ${b} up`);
      assert.equal(value(text, `maildirector_backend_admin_state{backend="${b}",state="none"}`), 1);
      assert.equal(value(text, `maildirector_backend_admin_state{backend="${b}",state="down"}`), 0);
    }
    for (const peer of ring.cluster.directors.filter((p) => p.id !== d.id)) {
      const lag = value(text, `maildirector_gossip_peer_lag_seconds{peer="${peer.id}"}`);
      assert.ok(lag !== undefined && lag >= 0 && lag < 2, `${d.id}: lag to ${peer.id} is ${lag}`);
      assert.equal(value(text, `maildirector_gossip_peer_up{peer="${peer.id}"}`), 1);
    }
    assert.ok((value(text, 'maildirector_ring_state_version') ?? 0) > 0);
    assert.ok((value(text, 'maildirector_gossip_messages_total{direction="sent"}') ?? 0) > 0);
    assert.ok((value(text, 'maildirector_gossip_entries_total{direction="received"}') ?? 0) > 0);
    assert.equal(value(text, 'maildirector_gossip_dropped_total'), 0);
    assert.match(text, /^# TYPE maildirector_ldap_request_duration_seconds histogram$/m);
  }
});

test('a login moves the login counter, the session gauge and the LDAP latency histogram, without naming the user or an IP', async () => {
  const d1 = director(0);
  const u = ring.cluster.usersOfKind('ring')[0];
  assert.ok(u);
  const before = await scrape(d1);
  const ldapBefore = value(before, 'maildirector_ldap_request_duration_seconds_count{op="authenticate",result="ok"}') ?? 0;
  const okBefore = value(before, 'maildirector_logins_total{protocol="imap",result="ok"}') ?? 0;
  const { client } = await openImap(d1);
  try {
    assert.match(await login(client, u.name, u.password), /^a1 OK /);
    const text = await scrape(d1);
    assert.equal(value(text, 'maildirector_logins_total{protocol="imap",result="ok"}'), okBefore + 1);
    assert.equal(value(text, 'maildirector_ldap_request_duration_seconds_count{op="authenticate",result="ok"}'), ldapBefore + 1);
    const sum = value(text, 'maildirector_ldap_request_duration_seconds_sum{op="authenticate",result="ok"}') ?? 0;
    assert.ok(sum > 0 && sum < 5 * (ldapBefore + 1), `ldap seconds sum ${sum}`);
    const inf = value(text, 'maildirector_ldap_request_duration_seconds_bucket{le="+Inf",op="authenticate",result="ok"}');
    assert.equal(inf, ldapBefore + 1, 'the +Inf bucket counts every request');
    const sessions = text.split('\n').filter((l) => l.startsWith('maildirector_sessions{protocol="imap"'));
    assert.equal(sessions.reduce((n, l) => n + Number(l.split(' ').at(-1)), 0), 1, sessions.join('; '));
    assert.ok(!text.includes(u.name), 'no user name in /metrics');
    assert.doesNotMatch(text, /\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/, 'no IP address in /metrics');
  } finally {
    client.close();
  }
});

test('backend down at one director: backend_up drops to 0 on every director, and the ack wait is observed', async () => {
  const d1 = director(0);
  const victim = ring.cluster.backends[1]?.id;
  assert.ok(victim !== undefined);
  const acksBefore = value(await scrape(d1), 'maildirector_gossip_ack_duration_seconds_count{result="all"}') ?? 0;
  const versionBefore = value(await scrape(director(2)), 'maildirector_ring_state_version') ?? 0;
  const started = Date.now();
  const change = await cliJson<{ acked_by: string[]; not_acked: string[] }>(ring, d1, 'backend', 'down', victim);
  assert.deepEqual(change.not_acked, []);
  for (const d of ring.cluster.directors) {
    await until(`${d.id}: ${victim} down in /metrics`, 2000, async () => {
      const text = await scrape(d);
      if (value(text, `maildirector_backend_up{backend="${victim}"}`) !== 0) return undefined;
      assert.equal(value(text, `maildirector_backend_admin_state{backend="${victim}",state="down"}`), 1);
      return true;
    });
  }
  process.stderr.write(`# backend down → backend_up 0 in every director's /metrics after ${Date.now() - started} ms\n`);
  const text = await scrape(d1);
  assert.equal(value(text, 'maildirector_gossip_ack_duration_seconds_count{result="all"}'), acksBefore + 1);
  assert.ok((value(text, 'maildirector_gossip_ack_duration_seconds_sum{result="all"}') ?? Infinity) < 2, 'acked within 2 s');
  assert.ok((value(await scrape(director(2)), 'maildirector_ring_state_version') ?? 0) > versionBefore, 'the clock moved');

  await cliJson(ring, d1, 'backend', 'up', victim);
  await until(`${victim} forced up`, 2000, async () =>
    value(await scrape(director(1)), `maildirector_backend_admin_state{backend="${victim}",state="up"}`) === 1 ? true : undefined,
  );
  assert.equal(value(await scrape(director(1)), `maildirector_backend_up{backend="${victim}"}`), 1);
});

test('a killed director shows as dead, with its lag growing, on the others', async () => {
  const d3 = director(2);
  await d3.kill();
  const text = await until('d1 marks d3 dead', 6000, async () => {
    const t = await scrape(director(0));
    return value(t, 'maildirector_ring_directors{state="dead"}') === 1 ? t : undefined;
  });
  assert.equal(value(text, 'maildirector_ring_directors{state="live"}'), 2);
  assert.equal(value(text, 'maildirector_gossip_peer_up{peer="d3"}'), 0);
  assert.ok((value(text, 'maildirector_gossip_peer_lag_seconds{peer="d3"}') ?? 0) >= 1.5);
  assert.equal(value(text, 'maildirector_gossip_link_open{peer="d3"}'), 0);
});
