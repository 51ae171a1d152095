// Original file: maildirector/ring/v1/ring.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { ApplyRequest as _maildirector_ring_v1_ApplyRequest, ApplyRequest__Output as _maildirector_ring_v1_ApplyRequest__Output } from '../../../maildirector/ring/v1/ApplyRequest.js';
import type { ApplyResponse as _maildirector_ring_v1_ApplyResponse, ApplyResponse__Output as _maildirector_ring_v1_ApplyResponse__Output } from '../../../maildirector/ring/v1/ApplyResponse.js';
import type { ClaimRequest as _maildirector_ring_v1_ClaimRequest, ClaimRequest__Output as _maildirector_ring_v1_ClaimRequest__Output } from '../../../maildirector/ring/v1/ClaimRequest.js';
import type { ClaimResponse as _maildirector_ring_v1_ClaimResponse, ClaimResponse__Output as _maildirector_ring_v1_ClaimResponse__Output } from '../../../maildirector/ring/v1/ClaimResponse.js';
import type { GossipMessage as _maildirector_ring_v1_GossipMessage, GossipMessage__Output as _maildirector_ring_v1_GossipMessage__Output } from '../../../maildirector/ring/v1/GossipMessage.js';
import type { KickRequest as _maildirector_ring_v1_KickRequest, KickRequest__Output as _maildirector_ring_v1_KickRequest__Output } from '../../../maildirector/ring/v1/KickRequest.js';
import type { KickResponse as _maildirector_ring_v1_KickResponse, KickResponse__Output as _maildirector_ring_v1_KickResponse__Output } from '../../../maildirector/ring/v1/KickResponse.js';
import type { SnapshotRequest as _maildirector_ring_v1_SnapshotRequest, SnapshotRequest__Output as _maildirector_ring_v1_SnapshotRequest__Output } from '../../../maildirector/ring/v1/SnapshotRequest.js';
import type { SnapshotResponse as _maildirector_ring_v1_SnapshotResponse, SnapshotResponse__Output as _maildirector_ring_v1_SnapshotResponse__Output } from '../../../maildirector/ring/v1/SnapshotResponse.js';

export interface RingClient extends grpc.Client {
  Apply(argument: _maildirector_ring_v1_ApplyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_ring_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  Apply(argument: _maildirector_ring_v1_ApplyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_ring_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  Apply(argument: _maildirector_ring_v1_ApplyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_ring_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  Apply(argument: _maildirector_ring_v1_ApplyRequest, callback: grpc.requestCallback<_maildirector_ring_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  apply(argument: _maildirector_ring_v1_ApplyRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_ring_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  apply(argument: _maildirector_ring_v1_ApplyRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_ring_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  apply(argument: _maildirector_ring_v1_ApplyRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_ring_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  apply(argument: _maildirector_ring_v1_ApplyRequest, callback: grpc.requestCallback<_maildirector_ring_v1_ApplyResponse__Output>): grpc.ClientUnaryCall;
  
  Claim(argument: _maildirector_ring_v1_ClaimRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_ring_v1_ClaimResponse__Output>): grpc.ClientUnaryCall;
  Claim(argument: _maildirector_ring_v1_ClaimRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_ring_v1_ClaimResponse__Output>): grpc.ClientUnaryCall;
  Claim(argument: _maildirector_ring_v1_ClaimRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_ring_v1_ClaimResponse__Output>): grpc.ClientUnaryCall;
  Claim(argument: _maildirector_ring_v1_ClaimRequest, callback: grpc.requestCallback<_maildirector_ring_v1_ClaimResponse__Output>): grpc.ClientUnaryCall;
  claim(argument: _maildirector_ring_v1_ClaimRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_ring_v1_ClaimResponse__Output>): grpc.ClientUnaryCall;
  claim(argument: _maildirector_ring_v1_ClaimRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_ring_v1_ClaimResponse__Output>): grpc.ClientUnaryCall;
  claim(argument: _maildirector_ring_v1_ClaimRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_ring_v1_ClaimResponse__Output>): grpc.ClientUnaryCall;
  claim(argument: _maildirector_ring_v1_ClaimRequest, callback: grpc.requestCallback<_maildirector_ring_v1_ClaimResponse__Output>): grpc.ClientUnaryCall;
  
  Gossip(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_maildirector_ring_v1_GossipMessage, _maildirector_ring_v1_GossipMessage__Output>;
  Gossip(options?: grpc.CallOptions): grpc.ClientDuplexStream<_maildirector_ring_v1_GossipMessage, _maildirector_ring_v1_GossipMessage__Output>;
  gossip(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_maildirector_ring_v1_GossipMessage, _maildirector_ring_v1_GossipMessage__Output>;
  gossip(options?: grpc.CallOptions): grpc.ClientDuplexStream<_maildirector_ring_v1_GossipMessage, _maildirector_ring_v1_GossipMessage__Output>;
  
  Kick(argument: _maildirector_ring_v1_KickRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_ring_v1_KickResponse__Output>): grpc.ClientUnaryCall;
  Kick(argument: _maildirector_ring_v1_KickRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_ring_v1_KickResponse__Output>): grpc.ClientUnaryCall;
  Kick(argument: _maildirector_ring_v1_KickRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_ring_v1_KickResponse__Output>): grpc.ClientUnaryCall;
  Kick(argument: _maildirector_ring_v1_KickRequest, callback: grpc.requestCallback<_maildirector_ring_v1_KickResponse__Output>): grpc.ClientUnaryCall;
  kick(argument: _maildirector_ring_v1_KickRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_ring_v1_KickResponse__Output>): grpc.ClientUnaryCall;
  kick(argument: _maildirector_ring_v1_KickRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_ring_v1_KickResponse__Output>): grpc.ClientUnaryCall;
  kick(argument: _maildirector_ring_v1_KickRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_ring_v1_KickResponse__Output>): grpc.ClientUnaryCall;
  kick(argument: _maildirector_ring_v1_KickRequest, callback: grpc.requestCallback<_maildirector_ring_v1_KickResponse__Output>): grpc.ClientUnaryCall;
  
  Snapshot(argument: _maildirector_ring_v1_SnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_ring_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  Snapshot(argument: _maildirector_ring_v1_SnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_ring_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  Snapshot(argument: _maildirector_ring_v1_SnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_ring_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  Snapshot(argument: _maildirector_ring_v1_SnapshotRequest, callback: grpc.requestCallback<_maildirector_ring_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  snapshot(argument: _maildirector_ring_v1_SnapshotRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_ring_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  snapshot(argument: _maildirector_ring_v1_SnapshotRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_ring_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  snapshot(argument: _maildirector_ring_v1_SnapshotRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_ring_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  snapshot(argument: _maildirector_ring_v1_SnapshotRequest, callback: grpc.requestCallback<_maildirector_ring_v1_SnapshotResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface RingHandlers extends grpc.UntypedServiceImplementation {
  Apply: grpc.handleUnaryCall<_maildirector_ring_v1_ApplyRequest__Output, _maildirector_ring_v1_ApplyResponse>;
  
  Claim: grpc.handleUnaryCall<_maildirector_ring_v1_ClaimRequest__Output, _maildirector_ring_v1_ClaimResponse>;
  
  Gossip: grpc.handleBidiStreamingCall<_maildirector_ring_v1_GossipMessage__Output, _maildirector_ring_v1_GossipMessage>;
  
  Kick: grpc.handleUnaryCall<_maildirector_ring_v1_KickRequest__Output, _maildirector_ring_v1_KickResponse>;
  
  Snapshot: grpc.handleUnaryCall<_maildirector_ring_v1_SnapshotRequest__Output, _maildirector_ring_v1_SnapshotResponse>;
  
}

export interface RingDefinition extends grpc.ServiceDefinition {
  Apply: MethodDefinition<_maildirector_ring_v1_ApplyRequest, _maildirector_ring_v1_ApplyResponse, _maildirector_ring_v1_ApplyRequest__Output, _maildirector_ring_v1_ApplyResponse__Output>
  Claim: MethodDefinition<_maildirector_ring_v1_ClaimRequest, _maildirector_ring_v1_ClaimResponse, _maildirector_ring_v1_ClaimRequest__Output, _maildirector_ring_v1_ClaimResponse__Output>
  Gossip: MethodDefinition<_maildirector_ring_v1_GossipMessage, _maildirector_ring_v1_GossipMessage, _maildirector_ring_v1_GossipMessage__Output, _maildirector_ring_v1_GossipMessage__Output>
  Kick: MethodDefinition<_maildirector_ring_v1_KickRequest, _maildirector_ring_v1_KickResponse, _maildirector_ring_v1_KickRequest__Output, _maildirector_ring_v1_KickResponse__Output>
  Snapshot: MethodDefinition<_maildirector_ring_v1_SnapshotRequest, _maildirector_ring_v1_SnapshotResponse, _maildirector_ring_v1_SnapshotRequest__Output, _maildirector_ring_v1_SnapshotResponse__Output>
}
