import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Ack as _maildirector_ring_v1_Ack, Ack__Output as _maildirector_ring_v1_Ack__Output } from './maildirector/ring/v1/Ack.js';
import type { AdminEntry as _maildirector_ring_v1_AdminEntry, AdminEntry__Output as _maildirector_ring_v1_AdminEntry__Output } from './maildirector/ring/v1/AdminEntry.js';
import type { ApplyRequest as _maildirector_ring_v1_ApplyRequest, ApplyRequest__Output as _maildirector_ring_v1_ApplyRequest__Output } from './maildirector/ring/v1/ApplyRequest.js';
import type { ApplyResponse as _maildirector_ring_v1_ApplyResponse, ApplyResponse__Output as _maildirector_ring_v1_ApplyResponse__Output } from './maildirector/ring/v1/ApplyResponse.js';
import type { BackendEntry as _maildirector_ring_v1_BackendEntry, BackendEntry__Output as _maildirector_ring_v1_BackendEntry__Output } from './maildirector/ring/v1/BackendEntry.js';
import type { BackendSpec as _maildirector_ring_v1_BackendSpec, BackendSpec__Output as _maildirector_ring_v1_BackendSpec__Output } from './maildirector/ring/v1/BackendSpec.js';
import type { Batch as _maildirector_ring_v1_Batch, Batch__Output as _maildirector_ring_v1_Batch__Output } from './maildirector/ring/v1/Batch.js';
import type { CapabilityList as _maildirector_ring_v1_CapabilityList, CapabilityList__Output as _maildirector_ring_v1_CapabilityList__Output } from './maildirector/ring/v1/CapabilityList.js';
import type { ClaimRequest as _maildirector_ring_v1_ClaimRequest, ClaimRequest__Output as _maildirector_ring_v1_ClaimRequest__Output } from './maildirector/ring/v1/ClaimRequest.js';
import type { ClaimResponse as _maildirector_ring_v1_ClaimResponse, ClaimResponse__Output as _maildirector_ring_v1_ClaimResponse__Output } from './maildirector/ring/v1/ClaimResponse.js';
import type { DirectorEntry as _maildirector_ring_v1_DirectorEntry, DirectorEntry__Output as _maildirector_ring_v1_DirectorEntry__Output } from './maildirector/ring/v1/DirectorEntry.js';
import type { Entry as _maildirector_ring_v1_Entry, Entry__Output as _maildirector_ring_v1_Entry__Output } from './maildirector/ring/v1/Entry.js';
import type { GossipMessage as _maildirector_ring_v1_GossipMessage, GossipMessage__Output as _maildirector_ring_v1_GossipMessage__Output } from './maildirector/ring/v1/GossipMessage.js';
import type { Heartbeat as _maildirector_ring_v1_Heartbeat, Heartbeat__Output as _maildirector_ring_v1_Heartbeat__Output } from './maildirector/ring/v1/Heartbeat.js';
import type { Hello as _maildirector_ring_v1_Hello, Hello__Output as _maildirector_ring_v1_Hello__Output } from './maildirector/ring/v1/Hello.js';
import type { KickRequest as _maildirector_ring_v1_KickRequest, KickRequest__Output as _maildirector_ring_v1_KickRequest__Output } from './maildirector/ring/v1/KickRequest.js';
import type { KickResponse as _maildirector_ring_v1_KickResponse, KickResponse__Output as _maildirector_ring_v1_KickResponse__Output } from './maildirector/ring/v1/KickResponse.js';
import type { MoveEntry as _maildirector_ring_v1_MoveEntry, MoveEntry__Output as _maildirector_ring_v1_MoveEntry__Output } from './maildirector/ring/v1/MoveEntry.js';
import type { PeerStatus as _maildirector_ring_v1_PeerStatus, PeerStatus__Output as _maildirector_ring_v1_PeerStatus__Output } from './maildirector/ring/v1/PeerStatus.js';
import type { Placement as _maildirector_ring_v1_Placement, Placement__Output as _maildirector_ring_v1_Placement__Output } from './maildirector/ring/v1/Placement.js';
import type { PresenceEntry as _maildirector_ring_v1_PresenceEntry, PresenceEntry__Output as _maildirector_ring_v1_PresenceEntry__Output } from './maildirector/ring/v1/PresenceEntry.js';
import type { RingClient as _maildirector_ring_v1_RingClient, RingDefinition as _maildirector_ring_v1_RingDefinition } from './maildirector/ring/v1/Ring.js';
import type { SnapshotRequest as _maildirector_ring_v1_SnapshotRequest, SnapshotRequest__Output as _maildirector_ring_v1_SnapshotRequest__Output } from './maildirector/ring/v1/SnapshotRequest.js';
import type { SnapshotResponse as _maildirector_ring_v1_SnapshotResponse, SnapshotResponse__Output as _maildirector_ring_v1_SnapshotResponse__Output } from './maildirector/ring/v1/SnapshotResponse.js';
import type { VerdictEntry as _maildirector_ring_v1_VerdictEntry, VerdictEntry__Output as _maildirector_ring_v1_VerdictEntry__Output } from './maildirector/ring/v1/VerdictEntry.js';
import type { Version as _maildirector_ring_v1_Version, Version__Output as _maildirector_ring_v1_Version__Output } from './maildirector/ring/v1/Version.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  maildirector: {
    ring: {
      v1: {
        Ack: MessageTypeDefinition<_maildirector_ring_v1_Ack, _maildirector_ring_v1_Ack__Output>
        AdminEntry: MessageTypeDefinition<_maildirector_ring_v1_AdminEntry, _maildirector_ring_v1_AdminEntry__Output>
        AdminState: EnumTypeDefinition
        ApplyRequest: MessageTypeDefinition<_maildirector_ring_v1_ApplyRequest, _maildirector_ring_v1_ApplyRequest__Output>
        ApplyResponse: MessageTypeDefinition<_maildirector_ring_v1_ApplyResponse, _maildirector_ring_v1_ApplyResponse__Output>
        BackendEntry: MessageTypeDefinition<_maildirector_ring_v1_BackendEntry, _maildirector_ring_v1_BackendEntry__Output>
        BackendSpec: MessageTypeDefinition<_maildirector_ring_v1_BackendSpec, _maildirector_ring_v1_BackendSpec__Output>
        Batch: MessageTypeDefinition<_maildirector_ring_v1_Batch, _maildirector_ring_v1_Batch__Output>
        BatchKind: EnumTypeDefinition
        CapabilityList: MessageTypeDefinition<_maildirector_ring_v1_CapabilityList, _maildirector_ring_v1_CapabilityList__Output>
        ClaimRequest: MessageTypeDefinition<_maildirector_ring_v1_ClaimRequest, _maildirector_ring_v1_ClaimRequest__Output>
        ClaimResponse: MessageTypeDefinition<_maildirector_ring_v1_ClaimResponse, _maildirector_ring_v1_ClaimResponse__Output>
        DirectorEntry: MessageTypeDefinition<_maildirector_ring_v1_DirectorEntry, _maildirector_ring_v1_DirectorEntry__Output>
        Entry: MessageTypeDefinition<_maildirector_ring_v1_Entry, _maildirector_ring_v1_Entry__Output>
        GossipMessage: MessageTypeDefinition<_maildirector_ring_v1_GossipMessage, _maildirector_ring_v1_GossipMessage__Output>
        Heartbeat: MessageTypeDefinition<_maildirector_ring_v1_Heartbeat, _maildirector_ring_v1_Heartbeat__Output>
        Hello: MessageTypeDefinition<_maildirector_ring_v1_Hello, _maildirector_ring_v1_Hello__Output>
        KickRequest: MessageTypeDefinition<_maildirector_ring_v1_KickRequest, _maildirector_ring_v1_KickRequest__Output>
        KickResponse: MessageTypeDefinition<_maildirector_ring_v1_KickResponse, _maildirector_ring_v1_KickResponse__Output>
        MoveEntry: MessageTypeDefinition<_maildirector_ring_v1_MoveEntry, _maildirector_ring_v1_MoveEntry__Output>
        PeerStatus: MessageTypeDefinition<_maildirector_ring_v1_PeerStatus, _maildirector_ring_v1_PeerStatus__Output>
        Placement: MessageTypeDefinition<_maildirector_ring_v1_Placement, _maildirector_ring_v1_Placement__Output>
        PresenceEntry: MessageTypeDefinition<_maildirector_ring_v1_PresenceEntry, _maildirector_ring_v1_PresenceEntry__Output>
        Ring: SubtypeConstructor<typeof grpc.Client, _maildirector_ring_v1_RingClient> & { service: _maildirector_ring_v1_RingDefinition }
        SnapshotRequest: MessageTypeDefinition<_maildirector_ring_v1_SnapshotRequest, _maildirector_ring_v1_SnapshotRequest__Output>
        SnapshotResponse: MessageTypeDefinition<_maildirector_ring_v1_SnapshotResponse, _maildirector_ring_v1_SnapshotResponse__Output>
        VerdictEntry: MessageTypeDefinition<_maildirector_ring_v1_VerdictEntry, _maildirector_ring_v1_VerdictEntry__Output>
        Version: MessageTypeDefinition<_maildirector_ring_v1_Version, _maildirector_ring_v1_Version__Output>
      }
    }
  }
}

