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
      const seen = await probePop3Capabilities(backend.host, port, left).catch(() => undefined);
      if (seen !== undefined) pop3 = [...seen].sort();
    }
    return { imap: caps.imap, pop3 };
  };
}
