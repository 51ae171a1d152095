import type { Socket } from 'node:net';
import type { BackendLogin, FrontendContext, FrontendDriver } from '../../session/frontend.js';
import { imapBackendLogin } from './backend-login.js';
import { ImapConnection } from './connection.js';

const backendLogin: BackendLogin = (params) => imapBackendLogin(params, params.log === undefined ? {} : { log: params.log });

/** The IMAP front end: pre-login conversation here, login and relay in the session core. */
export const imapDriver: FrontendDriver = {
  protocol: 'imap',
  backendLogin,
  handle(socket: Socket, context: FrontendContext): void {
    new ImapConnection(socket, context, backendLogin).start();
  },
};
