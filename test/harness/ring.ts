import { join } from 'node:path';
import { issueCert, type CertFiles } from './certs.js';
import type { Cluster, DirectorPeer } from './cluster.js';
import type { ConfigOverrides } from './director.js';

/** Where startCluster puts its CA (test/harness/cluster.ts createCa(join(dir, 'ca'), ...)). */
export function clusterCaCert(dir: string): string {
  return join(dir, 'ca', 'mail-director-test-ca.crt');
}

/** The admin client's certificate name: the one name every ring config lists in grpc_tls.admins. */
export const ADMIN_CERT_NAME = 'mail-director-admin';

export interface RingTuning {
  readonly probeInterval?: string;
  readonly probeFailures?: number;
  readonly heartbeat?: string;
  readonly deadAfter?: string;
  /** ring.gossip.presence_hold */
  readonly presenceHold?: string;
  readonly maxDisconnectDelay?: string;
}

/**
 * directorOverrides for startCluster that make its directors one ring: every
 * config lists every director, gRPC runs mTLS with the director's own
 * certificate (the harness issues it with serverAuth+clientAuth from the
 * cluster CA before the director starts) and admits only adminCert() to the
 * admin service, and the ring state is kept in the director's directory.
 */
export function ringOverrides(dir: string, tuning: RingTuning = {}): (self: DirectorPeer, all: readonly DirectorPeer[]) => ConfigOverrides {
  return (self, all) => {
    const ring: Record<string, unknown> = {
      directors: all.filter((d) => d.grpc !== null).map((d) => ({ id: d.id, grpc: `${d.host}:${d.grpc}` })),
      // Relative paths resolve next to the config file, in the director's directory.
      state_file: 'ring-state.json',
    };
    const probe: Record<string, unknown> = {};
    if (tuning.probeInterval !== undefined) probe['interval'] = tuning.probeInterval;
    if (tuning.probeFailures !== undefined) probe['failures'] = tuning.probeFailures;
    if (Object.keys(probe).length > 0) ring['probe'] = probe;
    const gossip: Record<string, unknown> = {};
    if (tuning.heartbeat !== undefined) gossip['heartbeat'] = tuning.heartbeat;
    if (tuning.deadAfter !== undefined) gossip['dead_after'] = tuning.deadAfter;
    if (tuning.presenceHold !== undefined) gossip['presence_hold'] = tuning.presenceHold;
    if (Object.keys(gossip).length > 0) ring['gossip'] = gossip;
    const out: Record<string, unknown> = {
      ring,
      grpc_tls: { ca: clusterCaCert(dir), cert: `tls/director-${self.id}.crt`, key: `tls/director-${self.id}.key`, admins: [ADMIN_CERT_NAME] },
    };
    if (tuning.maxDisconnectDelay !== undefined) out['limits'] = { max_disconnect_delay: tuning.maxDisconnectDelay };
    return out;
  };
}

/**
 * The admin CLI's client certificate from the cluster CA. Its only names are
 * ADMIN_CERT_NAME: every other certificate of the harness also says
 * localhost, and must not pass for an admin.
 */
export function adminCert(cluster: Cluster): Promise<CertFiles> {
  return issueCert(cluster.ca, join(cluster.dir, 'admin'), ADMIN_CERT_NAME, { ips: [], dns: [ADMIN_CERT_NAME] });
}

/** The CLI's mTLS arguments. */
export function cliTlsArgs(cluster: Cluster, cert: CertFiles): string[] {
  return ['--ca', cluster.ca.cert, '--cert', cert.cert, '--key', cert.key];
}
