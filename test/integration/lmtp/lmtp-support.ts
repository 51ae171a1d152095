// What the LMTP integration tests share: an MTA's side of a pipelined
// transaction on a LineClient, and where a delivered message landed.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DirectorHandle } from '../../harness/director.js';
import type { DovecotHandle } from '../../harness/dovecot.js';
import { LineClient } from '../support/line-client.js';

/** One whole reply's last line (multi-line replies end with `ddd `). */
export async function reply(client: LineClient): Promise<string> {
  for (;;) {
    const line = await client.line(30_000);
    if (/^\d{3}( |$)/.test(line)) return line;
  }
}

/** Greeted and LHLO'd, over the director's TCP port or its unix socket. */
export async function openLmtp(d: DirectorHandle, via: 'port' | 'socket' = 'port'): Promise<LineClient> {
  let client: LineClient;
  if (via === 'port') {
    assert.ok(d.lmtp !== null);
    client = await LineClient.connect(d.host, d.lmtp);
  } else {
    assert.ok(d.lmtpSocket !== null);
    client = await LineClient.connectUnix(d.lmtpSocket);
  }
  assert.match(await reply(client), /^220 /);
  client.write('LHLO mta.example.org\r\n');
  assert.match(await reply(client), /^250 /);
  return client;
}

/** MAIL, RCPTs and DATA pipelined in one write, as Postfix does; every recipient must be accepted. */
export async function beginTransaction(client: LineClient, users: readonly string[]): Promise<void> {
  client.write(Buffer.from([`MAIL FROM:<mta@example.org>`, ...users.map((u) => `RCPT TO:<${u}@example.org>`), 'DATA', ''].join('\r\n')));
  assert.match(await reply(client), /^250 /);
  for (const u of users) assert.match(await reply(client), /^250 /, `RCPT ${u}`);
  assert.match(await reply(client), /^354 /);
}

/** The rest of the message and the end line: one `250 … Saved` per recipient, in RCPT order. */
export async function endTransaction(client: LineClient, users: readonly string[], text: string): Promise<void> {
  client.write(Buffer.from(`${text}.\r\n`));
  for (const u of users) assert.match(await reply(client), new RegExp(`^250 2\\.0\\.0 <${u}@example\\.org> \\S+ Saved$`));
}

/** One transaction on a new connection, then QUIT. */
export async function deliver(d: DirectorHandle, users: readonly string[], subject: string, via: 'port' | 'socket' = 'port'): Promise<void> {
  const client = await openLmtp(d, via);
  try {
    await beginTransaction(client, users);
    await endTransaction(client, users, `Subject: ${subject}\r\n\r\nby LMTP through the director\r\n`);
    client.write('QUIT\r\n');
    assert.match(await reply(client), /^221 /);
  } finally {
    client.close();
  }
}

/** The stored messages of `user` with `subject`, by backend id (one entry per message file). */
export async function storedOn(backends: readonly DovecotHandle[], user: string, subject: string): Promise<Array<{ backend: string; text: string }>> {
  const out: Array<{ backend: string; text: string }> = [];
  for (const b of backends) {
    for (const sub of ['new', 'cur']) {
      const folder = join(b.dir, 'mail', user, sub);
      if (!existsSync(folder)) continue;
      for (const file of await readdir(folder)) {
        const text = await readFile(join(folder, file), 'latin1');
        // Maildir files end their lines in LF.
        if (text.includes(`\nSubject: ${subject}\n`)) out.push({ backend: b.id, text });
      }
    }
  }
  return out;
}
