import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StatusResponse__Output } from '../../../../src/adapters/grpc/generated/maildirector/admin/v1/StatusResponse.js';
import { UsageError } from '../../../../src/cli/args.js';
import { flushText } from '../../../../src/cli/commands/auth-cache-flush.js';
import { parseDirectorAddress } from '../../../../src/cli/commands/common.js';
import { statusJson, statusText } from '../../../../src/cli/commands/status.js';
import { kickText } from '../../../../src/cli/commands/user-kick.js';
import { whoJson, whoText } from '../../../../src/cli/commands/who.js';

const STATUS: StatusResponse__Output = {
  directorId: 'd1',
  startedAtMs: 1_000,
  uptimeMs: 3_661_000,
  sessionCount: 2,
  directorsLive: 2,
  directorsTotal: 3,
  ringClock: 42,
  backends: [
    { id: 'b1', host: '127.0.0.11', ports: { pop3: 110, imap: 143 }, weight: 100, tag: '', state: 'BACKEND_STATE_UP', admin: 'ADMIN_OVERRIDE_NONE', voters: 2, downVotes: 0, sessions: 12, users: 7 },
    { id: 'b2', host: '127.0.0.12', ports: {}, weight: 5, tag: 'eu', state: 'BACKEND_STATE_DOWN', admin: 'ADMIN_OVERRIDE_DOWN', voters: 2, downVotes: 0, sessions: 0, users: 0 },
    { id: 'b3', host: '127.0.0.13', ports: {}, weight: 1, tag: '', state: 'BACKEND_STATE_UNSPECIFIED', admin: 'ADMIN_OVERRIDE_UNSPECIFIED', voters: 0, downVotes: 0, sessions: 0, users: 0 },
  ],
};

test('status JSON uses snake_case, sorted ports and short state names', () => {
  const json = statusJson(STATUS);
  assert.deepEqual(json, {
    director_id: 'd1',
    started_at_ms: 1_000,
    uptime_ms: 3_661_000,
    session_count: 2,
    ring: { directors_live: 2, directors_total: 3, clock: 42 },
    backends: [
      { id: 'b1', host: '127.0.0.11', ports: { imap: 143, pop3: 110 }, weight: 100, tag: '', state: 'up', admin: 'none', voters: 2, down_votes: 0, sessions: 12, users: 7 },
      { id: 'b2', host: '127.0.0.12', ports: {}, weight: 5, tag: 'eu', state: 'down', admin: 'down', voters: 2, down_votes: 0, sessions: 0, users: 0 },
      { id: 'b3', host: '127.0.0.13', ports: {}, weight: 1, tag: '', state: 'unknown', admin: 'none', voters: 0, down_votes: 0, sessions: 0, users: 0 },
    ],
  });
  assert.deepEqual(Object.keys(json.backends[0]?.ports ?? {}), ['imap', 'pop3']);
});

test('status table', () => {
  assert.equal(
    statusText(statusJson(STATUS)),
    [
      'director  uptime    sessions  ring directors live',
      'd1        1h 1m 1s  2         2/3',
      '',
      'backend  host        ports              weight  tag  state    override  down votes  sessions  users',
      'b1       127.0.0.11  imap=143,pop3=110     100  -    up       -         0/2               12      7',
      'b2       127.0.0.12  -                       5  eu   down     down      0/2                0      0',
      'b3       127.0.0.13  -                       1  -    unknown  -         0/0                0      0',
      '',
    ].join('\n'),
  );
  assert.match(statusText(statusJson({ ...STATUS, backends: [] })), /\n\nno backends\n$/);
});

const WHO = {
  sessions: [
    {
      sessionId: 'S1',
      user: 'alice',
      protocol: 'imap',
      clientIp: '::1',
      clientPort: 5000,
      backendId: '',
      backendHost: '10.0.0.1',
      backendPort: 143,
      startedAtMs: Date.UTC(2024, 5, 6, 7, 8, 9),
      bytesFromClient: 1,
      bytesFromBackend: 2,
      directorId: 'd1',
    },
  ],
};

test('who JSON: empty backend id becomes null', () => {
  assert.deepEqual(whoJson(WHO).sessions[0], {
    session_id: 'S1',
    user: 'alice',
    protocol: 'imap',
    client_ip: '::1',
    client_port: 5000,
    backend_id: null,
    backend_host: '10.0.0.1',
    backend_port: 143,
    started_at_ms: Date.UTC(2024, 5, 6, 7, 8, 9),
    bytes_from_client: 1,
    bytes_from_backend: 2,
    director_id: 'd1',
  });
});

test('who table', () => {
  assert.equal(
    whoText(whoJson(WHO)),
    'username  proto  client      backend       director  since (UTC)          session\n' +
      'alice     imap   [::1]:5000  10.0.0.1:143  d1        2024-06-06 07:08:09  S1\n',
  );
  assert.equal(whoText({ sessions: [] }), 'username  proto  client  backend  director  since (UTC)  session\n');
});

test('kick and flush texts', () => {
  const one = [{ director: 'd1', kicked: 0 }];
  assert.equal(kickText({ user: 'u', kicked: 0, directors: one, unreachable: [] }), 'u: no sessions on this director\n');
  assert.equal(kickText({ user: 'u', kicked: 1, directors: [{ director: 'd1', kicked: 1 }], unreachable: [] }), 'u: kicked 1 session\n');
  const ring = [{ director: 'd1', kicked: 0 }, { director: 'd2', kicked: 3 }];
  assert.equal(kickText({ user: 'u', kicked: 3, directors: ring, unreachable: ['d3'] }), [
    'u: kicked 3 sessions',
    'director  kicked',
    'd1             0',
    'd2             3',
    'warning: no answer from d3; their sessions of u may remain',
    '',
  ].join('\n'));
  assert.equal(kickText({ user: 'u', kicked: 0, directors: ring.map((d) => ({ ...d, kicked: 0 })), unreachable: [] }), 'u: no sessions on any live director\n');
  assert.equal(flushText({ user: null, flushed: 4 }), '4 cache entries flushed\n');
});

test('director addresses: HOST:PORT, [IPv6]:PORT; anything else is a usage error', () => {
  assert.equal(parseDirectorAddress('127.0.0.1:17000'), '127.0.0.1:17000');
  assert.equal(parseDirectorAddress('director1.example.org:1'), 'director1.example.org:1');
  assert.equal(parseDirectorAddress('[::1]:17000'), '[::1]:17000');
  for (const bad of ['127.0.0.1', ':17000', '127.0.0.1:0', '127.0.0.1:65536', '::1:17000', '[nothost]:1', 'h:1x', '']) {
    assert.throws(() => parseDirectorAddress(bad), UsageError, bad);
  }
});
