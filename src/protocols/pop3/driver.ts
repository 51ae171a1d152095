import type { Socket } from 'node:net';
import type { BackendLogin, FrontendContext, FrontendDriver } from '../../session/frontend.js';
import { pop3BackendLogin } from './backend-login.js';
import { Pop3Connection } from './connection.js';

export interface Pop3DriverOptions {
  /** Greeting text before " ready." (Dovecot's login_greeting). */
  readonly greeting?: string;
}

export function createPop3Driver(options: Pop3DriverOptions = {}): FrontendDriver {
  const greeting = options.greeting ?? 'mail-director';
  const backendLogin: BackendLogin = (params) => pop3BackendLogin(params, params.log);
  return {
    protocol: 'pop3',
    backendLogin,
    handle(socket: Socket, context: FrontendContext): void {
      new Pop3Connection(socket, context, backendLogin, greeting).start();
    },
  };
}

export const pop3Driver: FrontendDriver = createPop3Driver();
