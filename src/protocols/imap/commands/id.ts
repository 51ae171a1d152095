import type { ImapArg } from '../parser.js';
import { tagged } from '../replies.js';
import type { CommandHandler } from './types.js';

// RFC 2971 limits, as Dovecot enforces them.
const MAX_PARAMS = 30;
const MAX_KEY_LENGTH = 30;
const MAX_VALUE_LENGTH = 1024;

/** Our own answer; Dovecot's default imap_id_send is "name *". */
export const ID_REPLY = '* ID ("name" "mail-director")\r\n';

export const idCommand: CommandHandler = {
  name: 'ID',
  states: ['plaintext', 'tls'],
  minArgs: 1,
  maxArgs: 1,
  run(session, command) {
    const params = parseIdParams(command.args[0] as ImapArg);
    if (params === undefined) return 'bad';
    session.setClientId(params);
    session.write(`${ID_REPLY}${tagged(command.tag, 'OK', 'ID completed.')}`);
    return 'ok';
  },
};

/** `NIL` or `("key" "value" ...)` with NIL values allowed; undefined when malformed. */
export function parseIdParams(arg: ImapArg): Array<readonly [string, string | null]> | undefined {
  if (arg.type === 'atom') return arg.value.toUpperCase() === 'NIL' ? [] : undefined;
  if (arg.type !== 'list' || arg.items.length % 2 !== 0 || arg.items.length > MAX_PARAMS * 2) return undefined;
  const params: Array<readonly [string, string | null]> = [];
  for (let i = 0; i < arg.items.length; i += 2) {
    const key = arg.items[i] as ImapArg;
    const value = arg.items[i + 1] as ImapArg;
    if (key.type !== 'string' || key.value.length > MAX_KEY_LENGTH) return undefined;
    if (value.type === 'atom' && value.value.toUpperCase() === 'NIL') {
      params.push([key.value, null]);
    } else if (value.type === 'string' && value.value.length <= MAX_VALUE_LENGTH) {
      params.push([key.value, value.value]);
    } else {
      return undefined;
    }
  }
  return params;
}
