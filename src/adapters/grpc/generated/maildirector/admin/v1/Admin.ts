// Original file: maildirector/admin/v1/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { FlushAuthCacheRequest as _maildirector_admin_v1_FlushAuthCacheRequest, FlushAuthCacheRequest__Output as _maildirector_admin_v1_FlushAuthCacheRequest__Output } from '../../../maildirector/admin/v1/FlushAuthCacheRequest.js';
import type { FlushAuthCacheResponse as _maildirector_admin_v1_FlushAuthCacheResponse, FlushAuthCacheResponse__Output as _maildirector_admin_v1_FlushAuthCacheResponse__Output } from '../../../maildirector/admin/v1/FlushAuthCacheResponse.js';
import type { KickUserRequest as _maildirector_admin_v1_KickUserRequest, KickUserRequest__Output as _maildirector_admin_v1_KickUserRequest__Output } from '../../../maildirector/admin/v1/KickUserRequest.js';
import type { KickUserResponse as _maildirector_admin_v1_KickUserResponse, KickUserResponse__Output as _maildirector_admin_v1_KickUserResponse__Output } from '../../../maildirector/admin/v1/KickUserResponse.js';
import type { StatusRequest as _maildirector_admin_v1_StatusRequest, StatusRequest__Output as _maildirector_admin_v1_StatusRequest__Output } from '../../../maildirector/admin/v1/StatusRequest.js';
import type { StatusResponse as _maildirector_admin_v1_StatusResponse, StatusResponse__Output as _maildirector_admin_v1_StatusResponse__Output } from '../../../maildirector/admin/v1/StatusResponse.js';
import type { WhoRequest as _maildirector_admin_v1_WhoRequest, WhoRequest__Output as _maildirector_admin_v1_WhoRequest__Output } from '../../../maildirector/admin/v1/WhoRequest.js';
import type { WhoResponse as _maildirector_admin_v1_WhoResponse, WhoResponse__Output as _maildirector_admin_v1_WhoResponse__Output } from '../../../maildirector/admin/v1/WhoResponse.js';

export interface AdminClient extends grpc.Client {
  FlushAuthCache(argument: _maildirector_admin_v1_FlushAuthCacheRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_FlushAuthCacheResponse__Output>): grpc.ClientUnaryCall;
  FlushAuthCache(argument: _maildirector_admin_v1_FlushAuthCacheRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_FlushAuthCacheResponse__Output>): grpc.ClientUnaryCall;
  FlushAuthCache(argument: _maildirector_admin_v1_FlushAuthCacheRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_FlushAuthCacheResponse__Output>): grpc.ClientUnaryCall;
  FlushAuthCache(argument: _maildirector_admin_v1_FlushAuthCacheRequest, callback: grpc.requestCallback<_maildirector_admin_v1_FlushAuthCacheResponse__Output>): grpc.ClientUnaryCall;
  flushAuthCache(argument: _maildirector_admin_v1_FlushAuthCacheRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_FlushAuthCacheResponse__Output>): grpc.ClientUnaryCall;
  flushAuthCache(argument: _maildirector_admin_v1_FlushAuthCacheRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_FlushAuthCacheResponse__Output>): grpc.ClientUnaryCall;
  flushAuthCache(argument: _maildirector_admin_v1_FlushAuthCacheRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_FlushAuthCacheResponse__Output>): grpc.ClientUnaryCall;
  flushAuthCache(argument: _maildirector_admin_v1_FlushAuthCacheRequest, callback: grpc.requestCallback<_maildirector_admin_v1_FlushAuthCacheResponse__Output>): grpc.ClientUnaryCall;
  
  KickUser(argument: _maildirector_admin_v1_KickUserRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_KickUserResponse__Output>): grpc.ClientUnaryCall;
  KickUser(argument: _maildirector_admin_v1_KickUserRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_KickUserResponse__Output>): grpc.ClientUnaryCall;
  KickUser(argument: _maildirector_admin_v1_KickUserRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_KickUserResponse__Output>): grpc.ClientUnaryCall;
  KickUser(argument: _maildirector_admin_v1_KickUserRequest, callback: grpc.requestCallback<_maildirector_admin_v1_KickUserResponse__Output>): grpc.ClientUnaryCall;
  kickUser(argument: _maildirector_admin_v1_KickUserRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_KickUserResponse__Output>): grpc.ClientUnaryCall;
  kickUser(argument: _maildirector_admin_v1_KickUserRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_KickUserResponse__Output>): grpc.ClientUnaryCall;
  kickUser(argument: _maildirector_admin_v1_KickUserRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_KickUserResponse__Output>): grpc.ClientUnaryCall;
  kickUser(argument: _maildirector_admin_v1_KickUserRequest, callback: grpc.requestCallback<_maildirector_admin_v1_KickUserResponse__Output>): grpc.ClientUnaryCall;
  
  Status(argument: _maildirector_admin_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _maildirector_admin_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _maildirector_admin_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _maildirector_admin_v1_StatusRequest, callback: grpc.requestCallback<_maildirector_admin_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _maildirector_admin_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _maildirector_admin_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _maildirector_admin_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _maildirector_admin_v1_StatusRequest, callback: grpc.requestCallback<_maildirector_admin_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  
  Who(argument: _maildirector_admin_v1_WhoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_WhoResponse__Output>): grpc.ClientUnaryCall;
  Who(argument: _maildirector_admin_v1_WhoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_WhoResponse__Output>): grpc.ClientUnaryCall;
  Who(argument: _maildirector_admin_v1_WhoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_WhoResponse__Output>): grpc.ClientUnaryCall;
  Who(argument: _maildirector_admin_v1_WhoRequest, callback: grpc.requestCallback<_maildirector_admin_v1_WhoResponse__Output>): grpc.ClientUnaryCall;
  who(argument: _maildirector_admin_v1_WhoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_WhoResponse__Output>): grpc.ClientUnaryCall;
  who(argument: _maildirector_admin_v1_WhoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_WhoResponse__Output>): grpc.ClientUnaryCall;
  who(argument: _maildirector_admin_v1_WhoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_WhoResponse__Output>): grpc.ClientUnaryCall;
  who(argument: _maildirector_admin_v1_WhoRequest, callback: grpc.requestCallback<_maildirector_admin_v1_WhoResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface AdminHandlers extends grpc.UntypedServiceImplementation {
  FlushAuthCache: grpc.handleUnaryCall<_maildirector_admin_v1_FlushAuthCacheRequest__Output, _maildirector_admin_v1_FlushAuthCacheResponse>;
  
  KickUser: grpc.handleUnaryCall<_maildirector_admin_v1_KickUserRequest__Output, _maildirector_admin_v1_KickUserResponse>;
  
  Status: grpc.handleUnaryCall<_maildirector_admin_v1_StatusRequest__Output, _maildirector_admin_v1_StatusResponse>;
  
  Who: grpc.handleUnaryCall<_maildirector_admin_v1_WhoRequest__Output, _maildirector_admin_v1_WhoResponse>;
  
}

export interface AdminDefinition extends grpc.ServiceDefinition {
  FlushAuthCache: MethodDefinition<_maildirector_admin_v1_FlushAuthCacheRequest, _maildirector_admin_v1_FlushAuthCacheResponse, _maildirector_admin_v1_FlushAuthCacheRequest__Output, _maildirector_admin_v1_FlushAuthCacheResponse__Output>
  KickUser: MethodDefinition<_maildirector_admin_v1_KickUserRequest, _maildirector_admin_v1_KickUserResponse, _maildirector_admin_v1_KickUserRequest__Output, _maildirector_admin_v1_KickUserResponse__Output>
  Status: MethodDefinition<_maildirector_admin_v1_StatusRequest, _maildirector_admin_v1_StatusResponse, _maildirector_admin_v1_StatusRequest__Output, _maildirector_admin_v1_StatusResponse__Output>
  Who: MethodDefinition<_maildirector_admin_v1_WhoRequest, _maildirector_admin_v1_WhoResponse, _maildirector_admin_v1_WhoRequest__Output, _maildirector_admin_v1_WhoResponse__Output>
}
