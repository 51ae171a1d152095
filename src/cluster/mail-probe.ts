import { defaultProbe } from './backend-probe.js';
import type { ProbeFn } from './backend-probe.js';
import { probePop3Capabilities } from './capability-probe.js';
import { DEFAULT_PORTS } from '../core/protocol.js';

/**
 * The director's backend probe: IMAP greeting and CAPABILITY decide whether
 * the backend is up; POP3 CAPA is read too, for the pre-login CAPA, but a
 * backend without POP3 is not voted down for it (its POP3 list stays empty
 * and ring/state.ts commonCapabilities skips empty lists).
 */
export function mailProbe(): ProbeFn {
  const imap = defaultProbe(['imap']);
  return async (backend, timeoutMs) => {
    const started = Date.now();
    const caps = await imap(backend, timeoutMs);
    const left = timeoutMs - (Date.now() - started);
    let pop3: string[] = [];
    if (left > 0) {
      const port = backend.ports.pop3 ?? DEFAULT_PORTS.pop3;
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), left);
      });
      const seen = await Promise.race([probePop3Capabilities(backend.host, port).catch(() => undefined), deadline]).finally(() => clearTimeout(timer));
      if (seen !== undefined) pop3 = [...seen].sort();
    }
    return { imap: caps.imap, pop3 };
  };
}
