import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { AdminClient as _maildirector_admin_v1_AdminClient, AdminDefinition as _maildirector_admin_v1_AdminDefinition } from './maildirector/admin/v1/Admin.js';
import type { BackendStatus as _maildirector_admin_v1_BackendStatus, BackendStatus__Output as _maildirector_admin_v1_BackendStatus__Output } from './maildirector/admin/v1/BackendStatus.js';
import type { FlushAuthCacheRequest as _maildirector_admin_v1_FlushAuthCacheRequest, FlushAuthCacheRequest__Output as _maildirector_admin_v1_FlushAuthCacheRequest__Output } from './maildirector/admin/v1/FlushAuthCacheRequest.js';
import type { FlushAuthCacheResponse as _maildirector_admin_v1_FlushAuthCacheResponse, FlushAuthCacheResponse__Output as _maildirector_admin_v1_FlushAuthCacheResponse__Output } from './maildirector/admin/v1/FlushAuthCacheResponse.js';
import type { KickUserRequest as _maildirector_admin_v1_KickUserRequest, KickUserRequest__Output as _maildirector_admin_v1_KickUserRequest__Output } from './maildirector/admin/v1/KickUserRequest.js';
import type { KickUserResponse as _maildirector_admin_v1_KickUserResponse, KickUserResponse__Output as _maildirector_admin_v1_KickUserResponse__Output } from './maildirector/admin/v1/KickUserResponse.js';
import type { Session as _maildirector_admin_v1_Session, Session__Output as _maildirector_admin_v1_Session__Output } from './maildirector/admin/v1/Session.js';
import type { StatusRequest as _maildirector_admin_v1_StatusRequest, StatusRequest__Output as _maildirector_admin_v1_StatusRequest__Output } from './maildirector/admin/v1/StatusRequest.js';
import type { StatusResponse as _maildirector_admin_v1_StatusResponse, StatusResponse__Output as _maildirector_admin_v1_StatusResponse__Output } from './maildirector/admin/v1/StatusResponse.js';
import type { WhoRequest as _maildirector_admin_v1_WhoRequest, WhoRequest__Output as _maildirector_admin_v1_WhoRequest__Output } from './maildirector/admin/v1/WhoRequest.js';
import type { WhoResponse as _maildirector_admin_v1_WhoResponse, WhoResponse__Output as _maildirector_admin_v1_WhoResponse__Output } from './maildirector/admin/v1/WhoResponse.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  maildirector: {
    admin: {
      v1: {
        Admin: SubtypeConstructor<typeof grpc.Client, _maildirector_admin_v1_AdminClient> & { service: _maildirector_admin_v1_AdminDefinition }
        BackendState: EnumTypeDefinition
        BackendStatus: MessageTypeDefinition<_maildirector_admin_v1_BackendStatus, _maildirector_admin_v1_BackendStatus__Output>
        FlushAuthCacheRequest: MessageTypeDefinition<_maildirector_admin_v1_FlushAuthCacheRequest, _maildirector_admin_v1_FlushAuthCacheRequest__Output>
        FlushAuthCacheResponse: MessageTypeDefinition<_maildirector_admin_v1_FlushAuthCacheResponse, _maildirector_admin_v1_FlushAuthCacheResponse__Output>
        KickUserRequest: MessageTypeDefinition<_maildirector_admin_v1_KickUserRequest, _maildirector_admin_v1_KickUserRequest__Output>
        KickUserResponse: MessageTypeDefinition<_maildirector_admin_v1_KickUserResponse, _maildirector_admin_v1_KickUserResponse__Output>
        Session: MessageTypeDefinition<_maildirector_admin_v1_Session, _maildirector_admin_v1_Session__Output>
        StatusRequest: MessageTypeDefinition<_maildirector_admin_v1_StatusRequest, _maildirector_admin_v1_StatusRequest__Output>
        StatusResponse: MessageTypeDefinition<_maildirector_admin_v1_StatusResponse, _maildirector_admin_v1_StatusResponse__Output>
        WhoRequest: MessageTypeDefinition<_maildirector_admin_v1_WhoRequest, _maildirector_admin_v1_WhoRequest__Output>
        WhoResponse: MessageTypeDefinition<_maildirector_admin_v1_WhoResponse, _maildirector_admin_v1_WhoResponse__Output>
      }
    }
  }
}

