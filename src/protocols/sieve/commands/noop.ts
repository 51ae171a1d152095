import { sieveString } from '../quote.js';
import { reply, SIEVE_TEXT } from '../replies.js';
import type { SieveCommandHandler } from './types.js';

/** NOOP [tag-string] (RFC 5804 §2.11): the string comes back in a TAG response code. */
export const noopCommand: SieveCommandHandler = {
  name: 'NOOP',
  minArgs: 0,
  maxArgs: 1,
  run(session, args) {
    const tag = args[0];
    if (tag === undefined) {
      session.write(reply('OK', SIEVE_TEXT.noopDone));
    } else if (tag.type !== 'string') {
      session.write(reply('NO', SIEVE_TEXT.invalidEchoTag));
    } else {
      session.write(reply('OK', SIEVE_TEXT.noopTagDone, `TAG ${sieveString(tag.value)}`));
    }
    return 'ok';
  },
};
