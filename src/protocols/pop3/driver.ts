import type { BackendLogin, FrontendDriver } from '../../session/frontend.js';
import { preloginDriver } from '../../session/client-connection.js';
import { pop3BackendLogin } from './backend-login.js';
import { pop3Prelogin } from './connection.js';

export interface Pop3DriverOptions {
  /** Greeting text before " ready." (Dovecot's login_greeting). */
  readonly greeting?: string;
}

export function createPop3Driver(options: Pop3DriverOptions = {}): FrontendDriver {
  const backendLogin: BackendLogin = (params) => pop3BackendLogin(params, params.log);
  return preloginDriver(pop3Prelogin(options.greeting ?? 'mail-director'), backendLogin);
}

export const pop3Driver: FrontendDriver = createPop3Driver();
