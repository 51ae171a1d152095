/**
 * doveadm-like table: a header row, columns padded to their widest cell and
 * separated by two spaces, no trailing blanks. Ends with \n.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[], options: { readonly right?: readonly number[] } = {}): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  // Counts read best right-aligned, as doveadm prints them.
  const right = new Set(options.right ?? []);
  const line = (cells: readonly string[]): string =>
    widths
      .map((w, i) => (right.has(i) ? (cells[i] ?? '').padStart(w) : (cells[i] ?? '').padEnd(w)))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
}

/** `3d 4h 5m 6s`, leaving out leading zero units; `0s` for under a second. */
export function formatDuration(ms: number): string {
  let seconds = Math.max(0, Math.floor(ms / 1000));
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60]] as const) {
    const n = Math.floor(seconds / size);
    seconds -= n * size;
    if (n > 0 || parts.length > 0) parts.push(`${n}${unit}`);
  }
  parts.push(`${seconds}s`);
  return parts.join(' ');
}

/** Unix ms as `YYYY-MM-DD HH:MM:SS` in UTC, like log timestamps operators compare against. */
export function formatTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** `host:port` with IPv6 literals bracketed. */
export function formatEndpoint(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}
