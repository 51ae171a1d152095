import type { BackendLogin, FrontendDriver } from '../../session/frontend.js';
import { preloginDriver } from '../../session/client-connection.js';
import { imapBackendLogin } from './backend-login.js';
import { imapPrelogin } from './connection.js';

const backendLogin: BackendLogin = (params) => imapBackendLogin(params, params.log === undefined ? {} : { log: params.log });

/** The IMAP front end: pre-login conversation here, login and relay in the session core. */
export const imapDriver: FrontendDriver = preloginDriver(imapPrelogin, backendLogin);
