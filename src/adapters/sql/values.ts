/**
 * A column value as text, the way Dovecot reads every field (lib-sql hands
 * the passdb strings). Booleans read as y/n, the words the field parser
 * knows; binary columns as UTF-8; dates as the driver's text.
 */
export function textValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'y' : 'n';
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  return JSON.stringify(value);
}
