import { hostname as osHostname } from 'node:os';
import type { BackendLogin, FrontendDriver } from '../../session/frontend.js';
import { preloginDriver } from '../../session/client-connection.js';
import { submissionBackendLogin } from './backend-login.js';
import { submissionPrelogin } from './connection.js';

export interface SubmissionDriverOptions {
  /** Our name in the greeting, EHLO replies and the EHLO we send backends; default the host name. */
  readonly hostname?: string;
  /** Greeting text after the name and "ESMTP" (Dovecot's login_greeting). */
  readonly greeting?: string;
}

export function createSubmissionDriver(options: SubmissionDriverOptions = {}): FrontendDriver {
  const hostname = options.hostname ?? osHostname();
  const backendLogin: BackendLogin = (params) => submissionBackendLogin(params, { ehloName: hostname, log: params.log });
  return preloginDriver(submissionPrelogin({ hostname, greeting: options.greeting ?? 'mail-director ready.' }), backendLogin);
}

export const submissionDriver: FrontendDriver = createSubmissionDriver();
