// The ring page (listen.http /ring) in a real browser: Debian's chromium driven
// by puppeteer-core, against a ring of three directors over real slapd and
// Dovecot. The page must show what happens while it happens: a killed backend
// as down within 3 s, a weight change within 1 s, a user move while it runs;
// and no user names unless the operator gives the token.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { startCluster } from '../../harness/cluster.js';
import { adminCert, ringOverrides } from '../../harness/ring.js';
import type { DirectorHandle } from '../../harness/director.js';
import { login, openImap } from '../director/imap-support.js';
import { cli, cliJson, directorAt, until, type Ring, type WhereJson } from '../cluster/ring-support.js';

const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'ring-page-test-token-0123456789';

let dir: string;
let ring: Ring;
let browser: Browser;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'md-ring-page-'));
  const tokenFile = join(dir, 'ring-page.token');
  await writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  const overrides = ringOverrides(dir, { probeInterval: '500ms', probeFailures: 2 });
  const cluster = await startCluster({
    dir,
    directors: 3,
    backends: 3,
    users: 20,
    directorOverrides: (self, all) => ({ ...overrides(self, all), http: { users_token_file: tokenFile } }),
  });
  ring = { cluster, admin: await adminCert(cluster) };
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    // The suite runs as root in CI: chromium's sandbox needs a user namespace it cannot have there.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
});

after(async () => {
  await browser?.close();
  await ring?.cluster.stop();
  await rm(dir, { recursive: true, force: true });
});

function pageUrl(d: DirectorHandle, query = ''): string {
  const address = d.address('http');
  assert.ok(address !== null, `${d.id} has no http port`);
  return `http://${address}/ring${query}`;
}

async function openPage(d: DirectorHandle, query = ''): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(pageUrl(d, query));
  await page.waitForSelector('#conn[data-state="live"]', { timeout: 10_000 });
  return page;
}

/** Wait until the page shows `selector`; how long it took. */
async function shows(page: Page, selector: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  await page.waitForSelector(selector, { timeout: timeoutMs });
  return Date.now() - started;
}

function httpStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

test('the page shows every backend and director, live; sessions without user names; names only with the token', async () => {
  const d1 = directorAt(ring, 0);
  const page = await openPage(d1);
  try {
    for (const b of ring.cluster.backends) await shows(page, `[data-backend="${b.id}"][data-health="up"]`, 10_000);
    for (const d of ring.cluster.directors) await shows(page, `[data-director="${d.id}"][data-live="true"]`, 10_000);
    // Every live director's own verdict on each backend is on its card.
    const views = await page.$$eval(`[data-backend="${ring.cluster.backends[0]!.id}"] [data-view]`, (els) => els.map((e) => e.getAttribute('data-view')));
    assert.deepEqual(views.sort(), ring.cluster.directors.map((d) => d.id).sort());

    const u = ring.cluster.usersOfKind('ring')[0];
    assert.ok(u);
    const where = await cliJson<WhereJson>(ring, d1, 'user', 'where', u.name);
    const { client } = await openImap(directorAt(ring, 1));
    try {
      assert.match(await login(client, u.name, u.password), /^a1 OK /);
      await shows(page, `[data-backend="${where.backend}"]:not([data-sessions="0"])`, 3000);
      const text = await page.$eval('body', (b) => b.innerText);
      for (const x of ring.cluster.users) assert.ok(!text.includes(x.name), `user name ${x.name} on the page without the token`);

      assert.equal(await httpStatus(pageUrl(d1, '?users=1')), 403);
      assert.equal(await httpStatus(pageUrl(d1, '?users=1&token=wrong-token-wrong-token')), 403);
      const named = await openPage(d1, `?users=1&token=${TOKEN}`);
      try {
        await named.waitForSelector(`[data-backend="${where.backend}"] [data-users]`, { timeout: 3000 });
        const names = await named.$eval(`[data-backend="${where.backend}"] [data-users]`, (e) => e.textContent ?? '');
        assert.ok(names.split(', ').includes(u.name), `${where.backend}'s users: ${names}`);
      } finally {
        await named.close();
      }
    } finally {
      client.close();
    }
  } finally {
    await page.close();
  }
});

test('a user move shows while it runs, and when it is done', async () => {
  const d2 = directorAt(ring, 1);
  const page = await openPage(d2, `?users=1&token=${TOKEN}`);
  const u = ring.cluster.usersOfKind('ring')[1];
  assert.ok(u);
  const where = await cliJson<WhereJson>(ring, d2, 'user', 'where', u.name);
  const to = ring.cluster.backends.find((b) => b.id !== where.backend);
  assert.ok(to);
  // A session in IDLE on the old backend: the move must end it.
  const { client } = await openImap(directorAt(ring, 2));
  try {
    assert.match(await login(client, u.name, u.password), /^a1 OK /);
    client.write('i1 IDLE\r\n');
    await client.until('+ ', 5000);
    const moving = cli(ring, directorAt(ring, 0), 'user', 'move', u.name, '--to', to.id, '--delay', '0s', '--json');
    const seenMs = await shows(page, `#moves [data-move-to="${to.id}"]`, 3000);
    const line = await page.$eval(`#moves [data-move-to="${to.id}"]`, (e) => e.textContent ?? '');
    assert.ok(line.includes(u.name), `move line names the user: ${line}`);
    const moved = await moving;
    assert.equal(moved.code, 0, moved.stderr);
    await shows(page, `#moves [data-move-to="${to.id}"][data-elsewhere="0"]`, 3000);
    process.stderr.write(`# ring page showed the move of ${u.name} to ${to.id} ${seenMs} ms after it started\n`);
  } finally {
    client.close();
    await page.close();
  }
  // The redacted page says a move happened, not whose.
  const plain = await openPage(d2);
  try {
    const line = await plain.$eval(`#moves [data-move-to="${to.id}"]`, (e) => e.textContent ?? '');
    assert.match(line, /^a user → /);
    assert.ok(!line.includes(u.name));
  } finally {
    await plain.close();
  }
});

test('a weight change shows within 1 s, a killed backend shows down within 3 s', async () => {
  const d3 = directorAt(ring, 2);
  const page = await openPage(d3);
  try {
    const target = ring.cluster.backends[0];
    assert.ok(target);
    // Set on d1, watched on d3's page: gossip and the page's push both count.
    const weight = await cli(ring, directorAt(ring, 0), 'backend', 'weight', target.id, '250');
    assert.equal(weight.code, 0, weight.stderr);
    const weightMs = await shows(page, `[data-backend="${target.id}"][data-weight="250"]`, 1000);

    const victim = ring.cluster.backends[2];
    assert.ok(victim);
    const killedAt = Date.now();
    await victim.kill();
    await shows(page, `[data-backend="${victim.id}"][data-health="down"]`, 3000);
    const downMs = Date.now() - killedAt;
    await shows(page, '#events [data-event="health"]', 1000);
    process.stderr.write(`# ring page: weight shown ${weightMs} ms after the command returned; killed backend down after ${downMs} ms\n`);
  } finally {
    await page.close();
  }
});

test('the page plans a weight change with the director: counts for everyone, names only with the token, nothing changed', async () => {
  const d1 = directorAt(ring, 0);
  // A user the ring places (the move test above gave its user an LDAP host).
  const u = ring.cluster.usersOfKind('ring').at(-1);
  assert.ok(u);
  const where = await cliJson<WhereJson>(ring, d1, 'user', 'where', u.name);
  assert.equal(where.reason, 'ring');
  const { client } = await openImap(directorAt(ring, 1));
  const plan = async (query: string): Promise<{ moved: string | null; users: string | null }> => {
    const page = await openPage(d1, query);
    try {
      await page.type('#plan-backend', where.backend);
      await page.type('#plan-weight', '0');
      await page.click('#plan-form button');
      await page.waitForSelector('#plan[data-state="done"]', { timeout: 5000 });
      for (const b of ring.cluster.backends) await page.waitForSelector(`#plan [data-share="${b.id}"]`, { timeout: 1000 });
      return {
        moved: await page.$eval('#plan', (e) => e.getAttribute('data-moved')),
        users: await page.$eval('#plan', (e) => e.querySelector('[data-users]')?.textContent ?? null),
      };
    } finally {
      await page.close();
    }
  };
  type Weights = { backends: Array<{ id: string; weight: number }> };
  const weightsBefore = (await cliJson<Weights>(ring, d1, 'status')).backends.map((b) => [b.id, b.weight]);
  try {
    assert.match(await login(client, u.name, u.password), /^a1 OK /);
    await until(`${d1.id} sees the session`, 3000, async () =>
      (await cliJson<WhereJson>(ring, d1, 'user', 'where', u.name)).sessions.length > 0 ? true : undefined,
    );
    // Weight 0 on the user's backend: the one live user would move once its session ends.
    const anonymous = await plan('');
    const http = d1.address('http');
    const direct = await (await fetch(`http://${http}/ring/plan?weight=${where.backend}:0&users=1&token=${TOKEN}`)).text();
    assert.equal(anonymous.moved, '1', `weight 0 on ${where.backend}: ${direct}`);
    assert.equal(anonymous.users, null, 'no user names without the token');
    const named = await plan(`?users=1&token=${TOKEN}`);
    assert.ok(named.users?.includes(u.name), `the named plan lists ${u.name}: ${named.users}`);
    const weightsAfter = (await cliJson<Weights>(ring, d1, 'status')).backends.map((b) => [b.id, b.weight]);
    assert.deepEqual(weightsAfter, weightsBefore, 'the plan changed no weight');
  } finally {
    client.close();
  }
});
