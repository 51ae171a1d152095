import type { Socket } from 'node:net';
import type { BackendLogin, FrontendContext, FrontendDriver } from '../../session/frontend.js';
import { imapBackendLogin } from './backend-login.js';
import { ImapConnection } from './connection.js';

/** The IMAP front end: pre-login conversation here, login and relay in the session core. */
export const imapDriver: FrontendDriver = {
  protocol: 'imap',
  backendLogin: (params) => imapBackendLogin(params),
  handle(socket: Socket, context: FrontendContext): void {
    // Bind the session's logger so backend state names land in the session's log.
    const backendLogin: BackendLogin = (params) => imapBackendLogin(params, { log: context.log });
    new ImapConnection(socket, context, backendLogin).start();
  },
};
