import { sanitizeReplyText } from '../../core/failure.js';

/**
 * Cutting an LMTP command line into its verb and arguments, and the
 * MAIL/RCPT arguments into a path and ESMTP parameters (RFC 5321 §4.1.2,
 * RFC 2033). Lines are latin1 strings: one character per byte, so UTF-8
 * addresses (SMTPUTF8) pass on to the backend byte for byte.
 */

export interface CommandLine {
  /** Upper-cased. */
  readonly verb: string;
  readonly args: string;
}

export function parseCommandLine(line: string): CommandLine {
  const space = line.indexOf(' ');
  if (space < 0) return { verb: line.toUpperCase(), args: '' };
  return { verb: line.slice(0, space).toUpperCase(), args: line.slice(space + 1) };
}

/** An ESMTP parameter as the MTA sent it: keyword upper-cased, value kept (xtext stays encoded). */
export interface EsmtpParam {
  readonly keyword: string;
  readonly value: string | undefined;
}

export type PathResult =
  | { readonly ok: true; readonly path: string; readonly params: readonly EsmtpParam[] }
  | { readonly ok: false; readonly why: string };

const KEYWORD = /^[A-Za-z0-9][A-Za-z0-9-]*$/;
// RFC 5321 §4.1.2: a path (quoted local parts included) holds no control characters; SMTPUTF8 adds UTF-8, not CTLs.
// eslint-disable-next-line no-control-regex
const PATH_CTL = /[\x00-\x1f\x7f]/;
// RFC 5321 esmtp-value: printable ASCII but '=' and space; SMTPUTF8 (RFC 6531) allows UTF-8 too.
const VALUE = /^[^\x00-\x20=\x7f]+$/;

/**
 * `FROM:<path> [params]` / `TO:<path> [params]`. A space after the colon
 * is accepted, as Dovecot and Postfix do for clients that send one.
 */
export function parsePathArgs(args: string, prefix: 'FROM' | 'TO'): PathResult {
  if (args.slice(0, prefix.length + 1).toUpperCase() !== `${prefix}:`) return { ok: false, why: 'Invalid parameters' };
  let rest = args.slice(prefix.length + 1).replace(/^ +/, '');
  if (!rest.startsWith('<')) return { ok: false, why: 'Missing \'<\'' };
  const end = closingBracket(rest);
  if (end < 0) return { ok: false, why: 'Missing \'>\'' };
  const path = rest.slice(1, end);
  // A bare CR or NUL would reach the backends' RCPT/MAIL lines and our replies, which echo the path.
  if (PATH_CTL.test(path)) return { ok: false, why: 'Invalid character in path' };
  rest = rest.slice(end + 1);
  if (rest !== '' && !rest.startsWith(' ')) return { ok: false, why: 'Invalid character after path' };
  const params: EsmtpParam[] = [];
  for (const word of rest.split(' ')) {
    if (word === '') continue;
    const eq = word.indexOf('=');
    const keyword = eq < 0 ? word : word.slice(0, eq);
    const value = eq < 0 ? undefined : word.slice(eq + 1);
    if (!KEYWORD.test(keyword) || (value !== undefined && !VALUE.test(value))) return { ok: false, why: `Invalid parameter: ${sanitizeReplyText(word, 64)}` };
    params.push({ keyword: keyword.toUpperCase(), value });
  }
  return { ok: true, path, params };
}

/** The `>` that ends a path, skipping a quoted local part (`<"a>b"@example.org>`). */
function closingBracket(text: string): number {
  let quoted = false;
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (quoted && c === '\\') i++;
    else if (c === '"') quoted = !quoted;
    else if (c === '>' && !quoted) return i;
  }
  return -1;
}

/** Parameters back into their wire form, in the order given. */
export function formatParams(params: readonly EsmtpParam[]): string {
  return params.map((p) => (p.value === undefined ? ` ${p.keyword}` : ` ${p.keyword}=${p.value}`)).join('');
}

/**
 * MAIL parameters passed on to the backends (RFC 1870 SIZE, RFC 6152 BODY,
 * RFC 6531 SMTPUTF8, RFC 3461 RET/ENVID, RFC 4954 AUTH); anything else is
 * refused before a backend sees it.
 */
export const MAIL_PARAMS: ReadonlySet<string> = new Set(['SIZE', 'BODY', 'SMTPUTF8', 'RET', 'ENVID', 'AUTH']);
/** RCPT parameters passed on (RFC 3461 NOTIFY, ORCPT). */
export const RCPT_PARAMS: ReadonlySet<string> = new Set(['NOTIFY', 'ORCPT']);
