import type { Logger } from 'pino';
import type { LoginSourceIps } from '../net/login-source-ips.js';

/**
 * Resolve director.login_source_ips into `target` and say what came of it:
 * the addresses in use, and each entry that gave none (a name that does not
 * resolve, a `?name` none of whose addresses this host has), as Dovecot's
 * login processes log "login_source_ips: ..." and go on without it.
 */
export async function applyLoginSourceIps(target: LoginSourceIps, entries: readonly string[], log: Logger): Promise<void> {
  try {
    const resolved = await target.apply(entries);
    if (entries.length === 0) return;
    for (const problem of resolved.problems) log.error({ entry: problem }, 'login_source_ips: an entry gives no source address');
    log.info({ login_source_ips: resolved.ips }, 'backend connections take their source address from login_source_ips in turn');
  } catch (err: unknown) {
    // Never thrown from a SIGHUP: the previous addresses stay in use.
    log.error({ err }, 'login_source_ips: resolving failed; keeping the previous addresses');
  }
}
