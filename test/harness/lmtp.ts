import { HarnessError } from './errors.js';
import { LineClient } from './lines.js';

/** SMTP/LMTP reply: lines until one with "NNN " (not "NNN-"). Returns the final code and text. */
async function reply(client: LineClient): Promise<{ code: number; text: string }> {
  const lines = await client.readUntil((l) => /^\d{3}( |$)/.test(l), 10_000);
  const last = lines[lines.length - 1] ?? '';
  return { code: Number(last.slice(0, 3)), text: lines.join('\n') };
}

async function expect(client: LineClient, what: string, ok: (code: number) => boolean): Promise<void> {
  const r = await reply(client);
  if (!ok(r.code)) throw new HarnessError('protocol_error', `LMTP ${what}: ${r.text}`);
}

/** Deliver one message to `user` over LMTP at host:port; throws unless it is accepted (250). */
export async function lmtpDeliver(host: string, port: number, user: string, message: string | Buffer, from = 'harness@example.org'): Promise<void> {
  const client = await LineClient.connect(host, port);
  try {
    await expect(client, 'greeting', (c) => c === 220);
    client.send('LHLO harness.example.org');
    await expect(client, 'LHLO', (c) => c === 250);
    client.send(`MAIL FROM:<${from}>`);
    await expect(client, 'MAIL FROM', (c) => c === 250);
    client.send(`RCPT TO:<${user}>`);
    await expect(client, 'RCPT TO', (c) => c === 250);
    client.send('DATA');
    await expect(client, 'DATA', (c) => c === 354);
    const text = (typeof message === 'string' ? Buffer.from(message, 'utf8') : message).toString('latin1');
    // CRLF line ends and dot-stuffing, then the terminator.
    const body = text.replace(/\r?\n/g, '\r\n').replace(/^\./gm, '..');
    client.write(Buffer.from(`${body}${body.endsWith('\r\n') ? '' : '\r\n'}.\r\n`, 'latin1'));
    await expect(client, 'end of DATA', (c) => c === 250);
    client.send('QUIT');
    await reply(client).catch(() => undefined);
  } finally {
    client.close();
  }
}
