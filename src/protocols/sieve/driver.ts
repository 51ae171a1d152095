import type { BackendLogin, FrontendDriver } from '../../session/frontend.js';
import { preloginDriver } from '../../session/client-connection.js';
import { sieveBackendLogin } from './backend-login.js';
import { sievePrelogin } from './connection.js';

const backendLogin: BackendLogin = (params) => sieveBackendLogin(params, params.log);

/** The ManageSieve front end (listen key and protocol `sieve`): pre-login here, login and relay in the session core. */
export const sieveDriver: FrontendDriver = preloginDriver(sievePrelogin, backendLogin);
