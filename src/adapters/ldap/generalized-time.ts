/**
 * LDAP GeneralizedTime (RFC 4517 3.3.13) as servers put it in
 * `modifyTimestamp`: "20240131235959Z" (OpenLDAP), "20240131235959.0Z"
 * (Active Directory), or with an offset ("20240131235959+0100").
 */
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(?:(\d{2})(\d{2})?)?(?:[.,](\d+))?(Z|[+-]\d{2}(?:\d{2})?)$/;

/** Milliseconds since the epoch, or undefined for text that is not a GeneralizedTime. */
export function parseGeneralizedTime(text: string): number | undefined {
  const m = GENERALIZED_TIME.exec(text.trim());
  if (m === null) return undefined;
  const [, year, month, day, hour, minute, second, fraction, zone] = m;
  if (year === undefined || month === undefined || day === undefined || hour === undefined || zone === undefined) return undefined;
  const ms = Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    Number(hour),
    Number(minute ?? '0'),
    Number(second ?? '0'),
    // The fraction belongs to the last unit given; servers only send it after seconds.
    fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000),
  );
  // Date.UTC rolls over (month 13 becomes January): refuse fields out of range instead.
  const back = new Date(ms);
  if (
    Number.isNaN(ms) ||
    back.getUTCMonth() !== Number(month) - 1 ||
    back.getUTCDate() !== Number(day) ||
    back.getUTCHours() !== Number(hour) ||
    back.getUTCMinutes() !== Number(minute ?? '0')
  ) {
    return undefined;
  }
  if (zone === 'Z') return ms;
  const sign = zone.startsWith('-') ? -1 : 1;
  const offsetMinutes = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5) || '0');
  return ms - sign * offsetMinutes * 60_000;
}

/** "YYYYMMDDHHMMSSZ": whole seconds, the form every server accepts in a filter. */
export function formatGeneralizedTime(ms: number): string {
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return (
    pad(d.getUTCFullYear(), 4) +
    pad(d.getUTCMonth() + 1) +
    pad(d.getUTCDate()) +
    pad(d.getUTCHours()) +
    pad(d.getUTCMinutes()) +
    pad(d.getUTCSeconds()) +
    'Z'
  );
}
