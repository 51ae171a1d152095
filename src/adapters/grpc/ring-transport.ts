import { loadPackageDefinition, Metadata, status as grpcStatus } from '@grpc/grpc-js';
import type { ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import type { ProtoGrpcType as RingProto } from './generated/ring.js';
import type { ApplyRequest } from './generated/maildirector/ring/v1/ApplyRequest.js';
import type { ApplyResponse__Output } from './generated/maildirector/ring/v1/ApplyResponse.js';
import type { ClaimRequest } from './generated/maildirector/ring/v1/ClaimRequest.js';
import type { ClaimResponse__Output } from './generated/maildirector/ring/v1/ClaimResponse.js';
import type { GossipMessage, GossipMessage__Output } from './generated/maildirector/ring/v1/GossipMessage.js';
import type { RingClient, RingHandlers } from './generated/maildirector/ring/v1/Ring.js';
import type { SnapshotResponse__Output } from './generated/maildirector/ring/v1/SnapshotResponse.js';
import type { KickRequest } from './generated/maildirector/ring/v1/KickRequest.js';
import type { KickResponse__Output } from './generated/maildirector/ring/v1/KickResponse.js';
import { PROTO_LOADER_OPTIONS } from './proto-options.js';
import { channelCredentials, KEEPALIVE_OPTIONS } from './security.js';
import type { MutualTls } from './security.js';
import type { GrpcServiceBinding } from './server.js';

export type { RingHandlers };
export type GossipStream = ClientDuplexStream<GossipMessage, GossipMessage__Output>;

let ringProto: RingProto | undefined;

/** The `maildirector.ring.v1` package, parsed once per process. */
export function loadRingProto(): RingProto {
  if (ringProto === undefined) {
    const definition = loadSync('maildirector/ring/v1/ring.proto', PROTO_LOADER_OPTIONS);
    // The generated ProtoGrpcType describes exactly this package definition.
    ringProto = loadPackageDefinition(definition) as unknown as RingProto;
  }
  return ringProto;
}

/** The Ring service, to add to the director's gRPC server next to Admin. */
export function ringServiceBinding(handlers: RingHandlers): GrpcServiceBinding {
  return { definition: loadRingProto().maildirector.ring.v1.Ring.service, handlers };
}

/**
 * Keepalive tuned for director links: pings more often than the admin
 * defaults so a silently dead link is cut within seconds even when gossip
 * heartbeats are not flowing (they run on top, at the application level).
 */
export const RING_CHANNEL_OPTIONS = Object.freeze({
  ...KEEPALIVE_OPTIONS,
  'grpc.keepalive_time_ms': 10_000,
  'grpc.keepalive_timeout_ms': 5_000,
  // Our own backoff re-opens streams; keep the channel's reconnects quick too.
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 2_000,
});

export interface RingPeerClient {
  /** Open the gossip stream; the caller must attach 'error' before anything else. */
  openGossip(): GossipStream;
  apply(request: ApplyRequest, timeoutMs: number): Promise<ApplyResponse__Output>;
  snapshot(timeoutMs: number): Promise<SnapshotResponse__Output>;
  kick(request: KickRequest, timeoutMs: number): Promise<KickResponse__Output>;
  claim(request: ClaimRequest, timeoutMs: number): Promise<ClaimResponse__Output>;
  close(): void;
}

export interface RingClientOptions {
  /** host:port of the peer's Ring service. */
  readonly target: string;
  readonly tls: MutualTls | undefined;
  /** Name to check the peer's certificate against, when it differs from the target host. */
  readonly tlsServerName?: string | undefined;
}

export function createRingClient(options: RingClientOptions): RingPeerClient {
  const { Ring } = loadRingProto().maildirector.ring.v1;
  const channelOptions: Record<string, string | number> = { ...RING_CHANNEL_OPTIONS };
  if (options.tlsServerName !== undefined) channelOptions['grpc.ssl_target_name_override'] = options.tlsServerName;
  const client: RingClient = new Ring(options.target, channelCredentials(options.tls), channelOptions);

  function unary<Res>(invoke: (cb: (err: ServiceError | null, res?: Res) => void) => void): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      invoke((err, res) => {
        if (err !== null) reject(err);
        else if (res === undefined) reject(new RingTransportError('empty response'));
        else resolve(res);
      });
    });
  }

  return {
    openGossip(): GossipStream {
      // No waitForReady: a peer that is down fails the call at once and the
      // link's own backoff decides when to try again.
      return client.gossip(new Metadata());
    },
    apply: (request, timeoutMs) =>
      unary<ApplyResponse__Output>((cb) => client.apply(request, { deadline: Date.now() + timeoutMs }, cb)),
    snapshot: (timeoutMs) =>
      unary<SnapshotResponse__Output>((cb) => client.snapshot({}, { deadline: Date.now() + timeoutMs }, cb)),
    kick: (request, timeoutMs) => unary<KickResponse__Output>((cb) => client.kick(request, { deadline: Date.now() + timeoutMs }, cb)),
    claim: (request, timeoutMs) =>
      unary<ClaimResponse__Output>((cb) => client.claim(request, { deadline: Date.now() + timeoutMs }, cb)),
    close: () => client.close(),
  };
}

export class RingTransportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RingTransportError';
  }
}

/** A peer that does not know the RPC (a director of an earlier version, mid-upgrade). */
export function isUnimplemented(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === grpcStatus.UNIMPLEMENTED;
}
