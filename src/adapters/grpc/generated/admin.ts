import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AddBackendRequest as _maildirector_admin_v1_AddBackendRequest, AddBackendRequest__Output as _maildirector_admin_v1_AddBackendRequest__Output } from './maildirector/admin/v1/AddBackendRequest.js';
import type { AddDirectorRequest as _maildirector_admin_v1_AddDirectorRequest, AddDirectorRequest__Output as _maildirector_admin_v1_AddDirectorRequest__Output } from './maildirector/admin/v1/AddDirectorRequest.js';
import type { AdminClient as _maildirector_admin_v1_AdminClient, AdminDefinition as _maildirector_admin_v1_AdminDefinition } from './maildirector/admin/v1/Admin.js';
import type { BackendShareCount as _maildirector_admin_v1_BackendShareCount, BackendShareCount__Output as _maildirector_admin_v1_BackendShareCount__Output } from './maildirector/admin/v1/BackendShareCount.js';
import type { BackendStatus as _maildirector_admin_v1_BackendStatus, BackendStatus__Output as _maildirector_admin_v1_BackendStatus__Output } from './maildirector/admin/v1/BackendStatus.js';
import type { DirectorKick as _maildirector_admin_v1_DirectorKick, DirectorKick__Output as _maildirector_admin_v1_DirectorKick__Output } from './maildirector/admin/v1/DirectorKick.js';
import type { FlushAuthCacheRequest as _maildirector_admin_v1_FlushAuthCacheRequest, FlushAuthCacheRequest__Output as _maildirector_admin_v1_FlushAuthCacheRequest__Output } from './maildirector/admin/v1/FlushAuthCacheRequest.js';
import type { FlushAuthCacheResponse as _maildirector_admin_v1_FlushAuthCacheResponse, FlushAuthCacheResponse__Output as _maildirector_admin_v1_FlushAuthCacheResponse__Output } from './maildirector/admin/v1/FlushAuthCacheResponse.js';
import type { KickUserRequest as _maildirector_admin_v1_KickUserRequest, KickUserRequest__Output as _maildirector_admin_v1_KickUserRequest__Output } from './maildirector/admin/v1/KickUserRequest.js';
import type { KickUserResponse as _maildirector_admin_v1_KickUserResponse, KickUserResponse__Output as _maildirector_admin_v1_KickUserResponse__Output } from './maildirector/admin/v1/KickUserResponse.js';
import type { MoveUserRequest as _maildirector_admin_v1_MoveUserRequest, MoveUserRequest__Output as _maildirector_admin_v1_MoveUserRequest__Output } from './maildirector/admin/v1/MoveUserRequest.js';
import type { MoveUserResponse as _maildirector_admin_v1_MoveUserResponse, MoveUserResponse__Output as _maildirector_admin_v1_MoveUserResponse__Output } from './maildirector/admin/v1/MoveUserResponse.js';
import type { PlanRingRequest as _maildirector_admin_v1_PlanRingRequest, PlanRingRequest__Output as _maildirector_admin_v1_PlanRingRequest__Output } from './maildirector/admin/v1/PlanRingRequest.js';
import type { PlanRingResponse as _maildirector_admin_v1_PlanRingResponse, PlanRingResponse__Output as _maildirector_admin_v1_PlanRingResponse__Output } from './maildirector/admin/v1/PlanRingResponse.js';
import type { PlannedBackend as _maildirector_admin_v1_PlannedBackend, PlannedBackend__Output as _maildirector_admin_v1_PlannedBackend__Output } from './maildirector/admin/v1/PlannedBackend.js';
import type { PlannedBackendList as _maildirector_admin_v1_PlannedBackendList, PlannedBackendList__Output as _maildirector_admin_v1_PlannedBackendList__Output } from './maildirector/admin/v1/PlannedBackendList.js';
import type { PlannedChange as _maildirector_admin_v1_PlannedChange, PlannedChange__Output as _maildirector_admin_v1_PlannedChange__Output } from './maildirector/admin/v1/PlannedChange.js';
import type { PlannedUserMove as _maildirector_admin_v1_PlannedUserMove, PlannedUserMove__Output as _maildirector_admin_v1_PlannedUserMove__Output } from './maildirector/admin/v1/PlannedUserMove.js';
import type { RemoveBackendRequest as _maildirector_admin_v1_RemoveBackendRequest, RemoveBackendRequest__Output as _maildirector_admin_v1_RemoveBackendRequest__Output } from './maildirector/admin/v1/RemoveBackendRequest.js';
import type { RemoveDirectorRequest as _maildirector_admin_v1_RemoveDirectorRequest, RemoveDirectorRequest__Output as _maildirector_admin_v1_RemoveDirectorRequest__Output } from './maildirector/admin/v1/RemoveDirectorRequest.js';
import type { RingChangeResponse as _maildirector_admin_v1_RingChangeResponse, RingChangeResponse__Output as _maildirector_admin_v1_RingChangeResponse__Output } from './maildirector/admin/v1/RingChangeResponse.js';
import type { RingDirector as _maildirector_admin_v1_RingDirector, RingDirector__Output as _maildirector_admin_v1_RingDirector__Output } from './maildirector/admin/v1/RingDirector.js';
import type { RingRequest as _maildirector_admin_v1_RingRequest, RingRequest__Output as _maildirector_admin_v1_RingRequest__Output } from './maildirector/admin/v1/RingRequest.js';
import type { RingResponse as _maildirector_admin_v1_RingResponse, RingResponse__Output as _maildirector_admin_v1_RingResponse__Output } from './maildirector/admin/v1/RingResponse.js';
import type { Session as _maildirector_admin_v1_Session, Session__Output as _maildirector_admin_v1_Session__Output } from './maildirector/admin/v1/Session.js';
import type { SessionHolder as _maildirector_admin_v1_SessionHolder, SessionHolder__Output as _maildirector_admin_v1_SessionHolder__Output } from './maildirector/admin/v1/SessionHolder.js';
import type { SetBackendStateRequest as _maildirector_admin_v1_SetBackendStateRequest, SetBackendStateRequest__Output as _maildirector_admin_v1_SetBackendStateRequest__Output } from './maildirector/admin/v1/SetBackendStateRequest.js';
import type { SetBackendWeightRequest as _maildirector_admin_v1_SetBackendWeightRequest, SetBackendWeightRequest__Output as _maildirector_admin_v1_SetBackendWeightRequest__Output } from './maildirector/admin/v1/SetBackendWeightRequest.js';
import type { StatusRequest as _maildirector_admin_v1_StatusRequest, StatusRequest__Output as _maildirector_admin_v1_StatusRequest__Output } from './maildirector/admin/v1/StatusRequest.js';
import type { StatusResponse as _maildirector_admin_v1_StatusResponse, StatusResponse__Output as _maildirector_admin_v1_StatusResponse__Output } from './maildirector/admin/v1/StatusResponse.js';
import type { UserWhereRequest as _maildirector_admin_v1_UserWhereRequest, UserWhereRequest__Output as _maildirector_admin_v1_UserWhereRequest__Output } from './maildirector/admin/v1/UserWhereRequest.js';
import type { UserWhereResponse as _maildirector_admin_v1_UserWhereResponse, UserWhereResponse__Output as _maildirector_admin_v1_UserWhereResponse__Output } from './maildirector/admin/v1/UserWhereResponse.js';
import type { WhoRequest as _maildirector_admin_v1_WhoRequest, WhoRequest__Output as _maildirector_admin_v1_WhoRequest__Output } from './maildirector/admin/v1/WhoRequest.js';
import type { WhoResponse as _maildirector_admin_v1_WhoResponse, WhoResponse__Output as _maildirector_admin_v1_WhoResponse__Output } from './maildirector/admin/v1/WhoResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  maildirector: {
    admin: {
      v1: {
        AddBackendRequest: MessageTypeDefinition<_maildirector_admin_v1_AddBackendRequest, _maildirector_admin_v1_AddBackendRequest__Output>
        AddDirectorRequest: MessageTypeDefinition<_maildirector_admin_v1_AddDirectorRequest, _maildirector_admin_v1_AddDirectorRequest__Output>
        Admin: SubtypeConstructor<typeof grpc.Client, _maildirector_admin_v1_AdminClient> & { service: _maildirector_admin_v1_AdminDefinition }
        AdminOverride: EnumTypeDefinition
        BackendShareCount: MessageTypeDefinition<_maildirector_admin_v1_BackendShareCount, _maildirector_admin_v1_BackendShareCount__Output>
        BackendState: EnumTypeDefinition
        BackendStatus: MessageTypeDefinition<_maildirector_admin_v1_BackendStatus, _maildirector_admin_v1_BackendStatus__Output>
        DirectorKick: MessageTypeDefinition<_maildirector_admin_v1_DirectorKick, _maildirector_admin_v1_DirectorKick__Output>
        FlushAuthCacheRequest: MessageTypeDefinition<_maildirector_admin_v1_FlushAuthCacheRequest, _maildirector_admin_v1_FlushAuthCacheRequest__Output>
        FlushAuthCacheResponse: MessageTypeDefinition<_maildirector_admin_v1_FlushAuthCacheResponse, _maildirector_admin_v1_FlushAuthCacheResponse__Output>
        KickUserRequest: MessageTypeDefinition<_maildirector_admin_v1_KickUserRequest, _maildirector_admin_v1_KickUserRequest__Output>
        KickUserResponse: MessageTypeDefinition<_maildirector_admin_v1_KickUserResponse, _maildirector_admin_v1_KickUserResponse__Output>
        MoveUserRequest: MessageTypeDefinition<_maildirector_admin_v1_MoveUserRequest, _maildirector_admin_v1_MoveUserRequest__Output>
        MoveUserResponse: MessageTypeDefinition<_maildirector_admin_v1_MoveUserResponse, _maildirector_admin_v1_MoveUserResponse__Output>
        PlanRingRequest: MessageTypeDefinition<_maildirector_admin_v1_PlanRingRequest, _maildirector_admin_v1_PlanRingRequest__Output>
        PlanRingResponse: MessageTypeDefinition<_maildirector_admin_v1_PlanRingResponse, _maildirector_admin_v1_PlanRingResponse__Output>
        PlannedBackend: MessageTypeDefinition<_maildirector_admin_v1_PlannedBackend, _maildirector_admin_v1_PlannedBackend__Output>
        PlannedBackendList: MessageTypeDefinition<_maildirector_admin_v1_PlannedBackendList, _maildirector_admin_v1_PlannedBackendList__Output>
        PlannedChange: MessageTypeDefinition<_maildirector_admin_v1_PlannedChange, _maildirector_admin_v1_PlannedChange__Output>
        PlannedUserMove: MessageTypeDefinition<_maildirector_admin_v1_PlannedUserMove, _maildirector_admin_v1_PlannedUserMove__Output>
        RemoveBackendRequest: MessageTypeDefinition<_maildirector_admin_v1_RemoveBackendRequest, _maildirector_admin_v1_RemoveBackendRequest__Output>
        RemoveDirectorRequest: MessageTypeDefinition<_maildirector_admin_v1_RemoveDirectorRequest, _maildirector_admin_v1_RemoveDirectorRequest__Output>
        RingChangeResponse: MessageTypeDefinition<_maildirector_admin_v1_RingChangeResponse, _maildirector_admin_v1_RingChangeResponse__Output>
        RingDirector: MessageTypeDefinition<_maildirector_admin_v1_RingDirector, _maildirector_admin_v1_RingDirector__Output>
        RingRequest: MessageTypeDefinition<_maildirector_admin_v1_RingRequest, _maildirector_admin_v1_RingRequest__Output>
        RingResponse: MessageTypeDefinition<_maildirector_admin_v1_RingResponse, _maildirector_admin_v1_RingResponse__Output>
        Session: MessageTypeDefinition<_maildirector_admin_v1_Session, _maildirector_admin_v1_Session__Output>
        SessionHolder: MessageTypeDefinition<_maildirector_admin_v1_SessionHolder, _maildirector_admin_v1_SessionHolder__Output>
        SetBackendStateRequest: MessageTypeDefinition<_maildirector_admin_v1_SetBackendStateRequest, _maildirector_admin_v1_SetBackendStateRequest__Output>
        SetBackendWeightRequest: MessageTypeDefinition<_maildirector_admin_v1_SetBackendWeightRequest, _maildirector_admin_v1_SetBackendWeightRequest__Output>
        StatusRequest: MessageTypeDefinition<_maildirector_admin_v1_StatusRequest, _maildirector_admin_v1_StatusRequest__Output>
        StatusResponse: MessageTypeDefinition<_maildirector_admin_v1_StatusResponse, _maildirector_admin_v1_StatusResponse__Output>
        UserWhereRequest: MessageTypeDefinition<_maildirector_admin_v1_UserWhereRequest, _maildirector_admin_v1_UserWhereRequest__Output>
        UserWhereResponse: MessageTypeDefinition<_maildirector_admin_v1_UserWhereResponse, _maildirector_admin_v1_UserWhereResponse__Output>
        WhoRequest: MessageTypeDefinition<_maildirector_admin_v1_WhoRequest, _maildirector_admin_v1_WhoRequest__Output>
        WhoResponse: MessageTypeDefinition<_maildirector_admin_v1_WhoResponse, _maildirector_admin_v1_WhoResponse__Output>
      }
    }
  }
}

