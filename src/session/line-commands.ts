import type { Logger } from 'pino';

/** A pre-login command of a line protocol (POP3, SMTP): its upper-case name and handler. */
export interface LineCommand<S, R> {
  readonly name: string;
  run(session: S, args: string): R | Promise<R>;
}

/**
 * Run the command a line names by its first word, or `unknown()` when no
 * command has that name. Arguments are never logged (PASS, AUTH and APOP
 * carry credentials), nor is an unknown line: a confused client may have
 * sent its password as a line of its own.
 */
export function dispatchLine<S, R>(
  session: S,
  text: string,
  find: (name: string) => LineCommand<S, R> | undefined,
  unknown: () => R,
  log: Logger,
  protocol: string,
): R | Promise<R> {
  const space = text.indexOf(' ');
  const name = space < 0 ? text : text.slice(0, space);
  const command = find(name);
  if (command === undefined) {
    log.debug({ length: text.length }, `${protocol} unknown command`);
    return unknown();
  }
  log.debug({ command: command.name }, `${protocol} command`);
  return command.run(session, space < 0 ? '' : text.slice(space + 1));
}
