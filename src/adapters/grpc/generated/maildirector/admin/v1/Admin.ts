// Original file: maildirector/admin/v1/admin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { AddBackendRequest as _maildirector_admin_v1_AddBackendRequest, AddBackendRequest__Output as _maildirector_admin_v1_AddBackendRequest__Output } from '../../../maildirector/admin/v1/AddBackendRequest.js';
import type { AddDirectorRequest as _maildirector_admin_v1_AddDirectorRequest, AddDirectorRequest__Output as _maildirector_admin_v1_AddDirectorRequest__Output } from '../../../maildirector/admin/v1/AddDirectorRequest.js';
import type { FlushAuthCacheRequest as _maildirector_admin_v1_FlushAuthCacheRequest, FlushAuthCacheRequest__Output as _maildirector_admin_v1_FlushAuthCacheRequest__Output } from '../../../maildirector/admin/v1/FlushAuthCacheRequest.js';
import type { FlushAuthCacheResponse as _maildirector_admin_v1_FlushAuthCacheResponse, FlushAuthCacheResponse__Output as _maildirector_admin_v1_FlushAuthCacheResponse__Output } from '../../../maildirector/admin/v1/FlushAuthCacheResponse.js';
import type { KickUserRequest as _maildirector_admin_v1_KickUserRequest, KickUserRequest__Output as _maildirector_admin_v1_KickUserRequest__Output } from '../../../maildirector/admin/v1/KickUserRequest.js';
import type { KickUserResponse as _maildirector_admin_v1_KickUserResponse, KickUserResponse__Output as _maildirector_admin_v1_KickUserResponse__Output } from '../../../maildirector/admin/v1/KickUserResponse.js';
import type { MoveUserRequest as _maildirector_admin_v1_MoveUserRequest, MoveUserRequest__Output as _maildirector_admin_v1_MoveUserRequest__Output } from '../../../maildirector/admin/v1/MoveUserRequest.js';
import type { MoveUserResponse as _maildirector_admin_v1_MoveUserResponse, MoveUserResponse__Output as _maildirector_admin_v1_MoveUserResponse__Output } from '../../../maildirector/admin/v1/MoveUserResponse.js';
import type { PlanRingRequest as _maildirector_admin_v1_PlanRingRequest, PlanRingRequest__Output as _maildirector_admin_v1_PlanRingRequest__Output } from '../../../maildirector/admin/v1/PlanRingRequest.js';
import type { PlanRingResponse as _maildirector_admin_v1_PlanRingResponse, PlanRingResponse__Output as _maildirector_admin_v1_PlanRingResponse__Output } from '../../../maildirector/admin/v1/PlanRingResponse.js';
import type { RemoveBackendRequest as _maildirector_admin_v1_RemoveBackendRequest, RemoveBackendRequest__Output as _maildirector_admin_v1_RemoveBackendRequest__Output } from '../../../maildirector/admin/v1/RemoveBackendRequest.js';
import type { RemoveDirectorRequest as _maildirector_admin_v1_RemoveDirectorRequest, RemoveDirectorRequest__Output as _maildirector_admin_v1_RemoveDirectorRequest__Output } from '../../../maildirector/admin/v1/RemoveDirectorRequest.js';
import type { RingChangeResponse as _maildirector_admin_v1_RingChangeResponse, RingChangeResponse__Output as _maildirector_admin_v1_RingChangeResponse__Output } from '../../../maildirector/admin/v1/RingChangeResponse.js';
import type { RingRequest as _maildirector_admin_v1_RingRequest, RingRequest__Output as _maildirector_admin_v1_RingRequest__Output } from '../../../maildirector/admin/v1/RingRequest.js';
import type { RingResponse as _maildirector_admin_v1_RingResponse, RingResponse__Output as _maildirector_admin_v1_RingResponse__Output } from '../../../maildirector/admin/v1/RingResponse.js';
import type { SetBackendStateRequest as _maildirector_admin_v1_SetBackendStateRequest, SetBackendStateRequest__Output as _maildirector_admin_v1_SetBackendStateRequest__Output } from '../../../maildirector/admin/v1/SetBackendStateRequest.js';
import type { SetBackendWeightRequest as _maildirector_admin_v1_SetBackendWeightRequest, SetBackendWeightRequest__Output as _maildirector_admin_v1_SetBackendWeightRequest__Output } from '../../../maildirector/admin/v1/SetBackendWeightRequest.js';
import type { StatusRequest as _maildirector_admin_v1_StatusRequest, StatusRequest__Output as _maildirector_admin_v1_StatusRequest__Output } from '../../../maildirector/admin/v1/StatusRequest.js';
import type { StatusResponse as _maildirector_admin_v1_StatusResponse, StatusResponse__Output as _maildirector_admin_v1_StatusResponse__Output } from '../../../maildirector/admin/v1/StatusResponse.js';
import type { UserWhereRequest as _maildirector_admin_v1_UserWhereRequest, UserWhereRequest__Output as _maildirector_admin_v1_UserWhereRequest__Output } from '../../../maildirector/admin/v1/UserWhereRequest.js';
import type { UserWhereResponse as _maildirector_admin_v1_UserWhereResponse, UserWhereResponse__Output as _maildirector_admin_v1_UserWhereResponse__Output } from '../../../maildirector/admin/v1/UserWhereResponse.js';
import type { WhoRequest as _maildirector_admin_v1_WhoRequest, WhoRequest__Output as _maildirector_admin_v1_WhoRequest__Output } from '../../../maildirector/admin/v1/WhoRequest.js';
import type { WhoResponse as _maildirector_admin_v1_WhoResponse, WhoResponse__Output as _maildirector_admin_v1_WhoResponse__Output } from '../../../maildirector/admin/v1/WhoResponse.js';

export interface AdminClient extends grpc.Client {
  AddBackend(argument: _maildirector_admin_v1_AddBackendRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  AddBackend(argument: _maildirector_admin_v1_AddBackendRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  AddBackend(argument: _maildirector_admin_v1_AddBackendRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  AddBackend(argument: _maildirector_admin_v1_AddBackendRequest, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  addBackend(argument: _maildirector_admin_v1_AddBackendRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  addBackend(argument: _maildirector_admin_v1_AddBackendRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  addBackend(argument: _maildirector_admin_v1_AddBackendRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  addBackend(argument: _maildirector_admin_v1_AddBackendRequest, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  
  AddDirector(argument: _maildirector_admin_v1_AddDirectorRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  AddDirector(argument: _maildirector_admin_v1_AddDirectorRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  AddDirector(argument: _maildirector_admin_v1_AddDirectorRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  AddDirector(argument: _maildirector_admin_v1_AddDirectorRequest, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  addDirector(argument: _maildirector_admin_v1_AddDirectorRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  addDirector(argument: _maildirector_admin_v1_AddDirectorRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  addDirector(argument: _maildirector_admin_v1_AddDirectorRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  addDirector(argument: _maildirector_admin_v1_AddDirectorRequest, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  
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
  
  MoveUser(argument: _maildirector_admin_v1_MoveUserRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_MoveUserResponse__Output>): grpc.ClientUnaryCall;
  MoveUser(argument: _maildirector_admin_v1_MoveUserRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_MoveUserResponse__Output>): grpc.ClientUnaryCall;
  MoveUser(argument: _maildirector_admin_v1_MoveUserRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_MoveUserResponse__Output>): grpc.ClientUnaryCall;
  MoveUser(argument: _maildirector_admin_v1_MoveUserRequest, callback: grpc.requestCallback<_maildirector_admin_v1_MoveUserResponse__Output>): grpc.ClientUnaryCall;
  moveUser(argument: _maildirector_admin_v1_MoveUserRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_MoveUserResponse__Output>): grpc.ClientUnaryCall;
  moveUser(argument: _maildirector_admin_v1_MoveUserRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_MoveUserResponse__Output>): grpc.ClientUnaryCall;
  moveUser(argument: _maildirector_admin_v1_MoveUserRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_MoveUserResponse__Output>): grpc.ClientUnaryCall;
  moveUser(argument: _maildirector_admin_v1_MoveUserRequest, callback: grpc.requestCallback<_maildirector_admin_v1_MoveUserResponse__Output>): grpc.ClientUnaryCall;
  
  PlanRing(argument: _maildirector_admin_v1_PlanRingRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_PlanRingResponse__Output>): grpc.ClientUnaryCall;
  PlanRing(argument: _maildirector_admin_v1_PlanRingRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_PlanRingResponse__Output>): grpc.ClientUnaryCall;
  PlanRing(argument: _maildirector_admin_v1_PlanRingRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_PlanRingResponse__Output>): grpc.ClientUnaryCall;
  PlanRing(argument: _maildirector_admin_v1_PlanRingRequest, callback: grpc.requestCallback<_maildirector_admin_v1_PlanRingResponse__Output>): grpc.ClientUnaryCall;
  planRing(argument: _maildirector_admin_v1_PlanRingRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_PlanRingResponse__Output>): grpc.ClientUnaryCall;
  planRing(argument: _maildirector_admin_v1_PlanRingRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_PlanRingResponse__Output>): grpc.ClientUnaryCall;
  planRing(argument: _maildirector_admin_v1_PlanRingRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_PlanRingResponse__Output>): grpc.ClientUnaryCall;
  planRing(argument: _maildirector_admin_v1_PlanRingRequest, callback: grpc.requestCallback<_maildirector_admin_v1_PlanRingResponse__Output>): grpc.ClientUnaryCall;
  
  RemoveBackend(argument: _maildirector_admin_v1_RemoveBackendRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  RemoveBackend(argument: _maildirector_admin_v1_RemoveBackendRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  RemoveBackend(argument: _maildirector_admin_v1_RemoveBackendRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  RemoveBackend(argument: _maildirector_admin_v1_RemoveBackendRequest, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  removeBackend(argument: _maildirector_admin_v1_RemoveBackendRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  removeBackend(argument: _maildirector_admin_v1_RemoveBackendRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  removeBackend(argument: _maildirector_admin_v1_RemoveBackendRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  removeBackend(argument: _maildirector_admin_v1_RemoveBackendRequest, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  
  RemoveDirector(argument: _maildirector_admin_v1_RemoveDirectorRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  RemoveDirector(argument: _maildirector_admin_v1_RemoveDirectorRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  RemoveDirector(argument: _maildirector_admin_v1_RemoveDirectorRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  RemoveDirector(argument: _maildirector_admin_v1_RemoveDirectorRequest, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  removeDirector(argument: _maildirector_admin_v1_RemoveDirectorRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  removeDirector(argument: _maildirector_admin_v1_RemoveDirectorRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  removeDirector(argument: _maildirector_admin_v1_RemoveDirectorRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  removeDirector(argument: _maildirector_admin_v1_RemoveDirectorRequest, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  
  Ring(argument: _maildirector_admin_v1_RingRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingResponse__Output>): grpc.ClientUnaryCall;
  Ring(argument: _maildirector_admin_v1_RingRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_RingResponse__Output>): grpc.ClientUnaryCall;
  Ring(argument: _maildirector_admin_v1_RingRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingResponse__Output>): grpc.ClientUnaryCall;
  Ring(argument: _maildirector_admin_v1_RingRequest, callback: grpc.requestCallback<_maildirector_admin_v1_RingResponse__Output>): grpc.ClientUnaryCall;
  ring(argument: _maildirector_admin_v1_RingRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingResponse__Output>): grpc.ClientUnaryCall;
  ring(argument: _maildirector_admin_v1_RingRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_RingResponse__Output>): grpc.ClientUnaryCall;
  ring(argument: _maildirector_admin_v1_RingRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingResponse__Output>): grpc.ClientUnaryCall;
  ring(argument: _maildirector_admin_v1_RingRequest, callback: grpc.requestCallback<_maildirector_admin_v1_RingResponse__Output>): grpc.ClientUnaryCall;
  
  SetBackendState(argument: _maildirector_admin_v1_SetBackendStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  SetBackendState(argument: _maildirector_admin_v1_SetBackendStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  SetBackendState(argument: _maildirector_admin_v1_SetBackendStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  SetBackendState(argument: _maildirector_admin_v1_SetBackendStateRequest, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  setBackendState(argument: _maildirector_admin_v1_SetBackendStateRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  setBackendState(argument: _maildirector_admin_v1_SetBackendStateRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  setBackendState(argument: _maildirector_admin_v1_SetBackendStateRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  setBackendState(argument: _maildirector_admin_v1_SetBackendStateRequest, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  
  SetBackendWeight(argument: _maildirector_admin_v1_SetBackendWeightRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  SetBackendWeight(argument: _maildirector_admin_v1_SetBackendWeightRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  SetBackendWeight(argument: _maildirector_admin_v1_SetBackendWeightRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  SetBackendWeight(argument: _maildirector_admin_v1_SetBackendWeightRequest, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  setBackendWeight(argument: _maildirector_admin_v1_SetBackendWeightRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  setBackendWeight(argument: _maildirector_admin_v1_SetBackendWeightRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  setBackendWeight(argument: _maildirector_admin_v1_SetBackendWeightRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  setBackendWeight(argument: _maildirector_admin_v1_SetBackendWeightRequest, callback: grpc.requestCallback<_maildirector_admin_v1_RingChangeResponse__Output>): grpc.ClientUnaryCall;
  
  Status(argument: _maildirector_admin_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _maildirector_admin_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _maildirector_admin_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  Status(argument: _maildirector_admin_v1_StatusRequest, callback: grpc.requestCallback<_maildirector_admin_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _maildirector_admin_v1_StatusRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _maildirector_admin_v1_StatusRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _maildirector_admin_v1_StatusRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  status(argument: _maildirector_admin_v1_StatusRequest, callback: grpc.requestCallback<_maildirector_admin_v1_StatusResponse__Output>): grpc.ClientUnaryCall;
  
  UserWhere(argument: _maildirector_admin_v1_UserWhereRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_UserWhereResponse__Output>): grpc.ClientUnaryCall;
  UserWhere(argument: _maildirector_admin_v1_UserWhereRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_UserWhereResponse__Output>): grpc.ClientUnaryCall;
  UserWhere(argument: _maildirector_admin_v1_UserWhereRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_UserWhereResponse__Output>): grpc.ClientUnaryCall;
  UserWhere(argument: _maildirector_admin_v1_UserWhereRequest, callback: grpc.requestCallback<_maildirector_admin_v1_UserWhereResponse__Output>): grpc.ClientUnaryCall;
  userWhere(argument: _maildirector_admin_v1_UserWhereRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_UserWhereResponse__Output>): grpc.ClientUnaryCall;
  userWhere(argument: _maildirector_admin_v1_UserWhereRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_maildirector_admin_v1_UserWhereResponse__Output>): grpc.ClientUnaryCall;
  userWhere(argument: _maildirector_admin_v1_UserWhereRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_maildirector_admin_v1_UserWhereResponse__Output>): grpc.ClientUnaryCall;
  userWhere(argument: _maildirector_admin_v1_UserWhereRequest, callback: grpc.requestCallback<_maildirector_admin_v1_UserWhereResponse__Output>): grpc.ClientUnaryCall;
  
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
  AddBackend: grpc.handleUnaryCall<_maildirector_admin_v1_AddBackendRequest__Output, _maildirector_admin_v1_RingChangeResponse>;
  
  AddDirector: grpc.handleUnaryCall<_maildirector_admin_v1_AddDirectorRequest__Output, _maildirector_admin_v1_RingChangeResponse>;
  
  FlushAuthCache: grpc.handleUnaryCall<_maildirector_admin_v1_FlushAuthCacheRequest__Output, _maildirector_admin_v1_FlushAuthCacheResponse>;
  
  KickUser: grpc.handleUnaryCall<_maildirector_admin_v1_KickUserRequest__Output, _maildirector_admin_v1_KickUserResponse>;
  
  MoveUser: grpc.handleUnaryCall<_maildirector_admin_v1_MoveUserRequest__Output, _maildirector_admin_v1_MoveUserResponse>;
  
  PlanRing: grpc.handleUnaryCall<_maildirector_admin_v1_PlanRingRequest__Output, _maildirector_admin_v1_PlanRingResponse>;
  
  RemoveBackend: grpc.handleUnaryCall<_maildirector_admin_v1_RemoveBackendRequest__Output, _maildirector_admin_v1_RingChangeResponse>;
  
  RemoveDirector: grpc.handleUnaryCall<_maildirector_admin_v1_RemoveDirectorRequest__Output, _maildirector_admin_v1_RingChangeResponse>;
  
  Ring: grpc.handleUnaryCall<_maildirector_admin_v1_RingRequest__Output, _maildirector_admin_v1_RingResponse>;
  
  SetBackendState: grpc.handleUnaryCall<_maildirector_admin_v1_SetBackendStateRequest__Output, _maildirector_admin_v1_RingChangeResponse>;
  
  SetBackendWeight: grpc.handleUnaryCall<_maildirector_admin_v1_SetBackendWeightRequest__Output, _maildirector_admin_v1_RingChangeResponse>;
  
  Status: grpc.handleUnaryCall<_maildirector_admin_v1_StatusRequest__Output, _maildirector_admin_v1_StatusResponse>;
  
  UserWhere: grpc.handleUnaryCall<_maildirector_admin_v1_UserWhereRequest__Output, _maildirector_admin_v1_UserWhereResponse>;
  
  Who: grpc.handleUnaryCall<_maildirector_admin_v1_WhoRequest__Output, _maildirector_admin_v1_WhoResponse>;
  
}

export interface AdminDefinition extends grpc.ServiceDefinition {
  AddBackend: MethodDefinition<_maildirector_admin_v1_AddBackendRequest, _maildirector_admin_v1_RingChangeResponse, _maildirector_admin_v1_AddBackendRequest__Output, _maildirector_admin_v1_RingChangeResponse__Output>
  AddDirector: MethodDefinition<_maildirector_admin_v1_AddDirectorRequest, _maildirector_admin_v1_RingChangeResponse, _maildirector_admin_v1_AddDirectorRequest__Output, _maildirector_admin_v1_RingChangeResponse__Output>
  FlushAuthCache: MethodDefinition<_maildirector_admin_v1_FlushAuthCacheRequest, _maildirector_admin_v1_FlushAuthCacheResponse, _maildirector_admin_v1_FlushAuthCacheRequest__Output, _maildirector_admin_v1_FlushAuthCacheResponse__Output>
  KickUser: MethodDefinition<_maildirector_admin_v1_KickUserRequest, _maildirector_admin_v1_KickUserResponse, _maildirector_admin_v1_KickUserRequest__Output, _maildirector_admin_v1_KickUserResponse__Output>
  MoveUser: MethodDefinition<_maildirector_admin_v1_MoveUserRequest, _maildirector_admin_v1_MoveUserResponse, _maildirector_admin_v1_MoveUserRequest__Output, _maildirector_admin_v1_MoveUserResponse__Output>
  PlanRing: MethodDefinition<_maildirector_admin_v1_PlanRingRequest, _maildirector_admin_v1_PlanRingResponse, _maildirector_admin_v1_PlanRingRequest__Output, _maildirector_admin_v1_PlanRingResponse__Output>
  RemoveBackend: MethodDefinition<_maildirector_admin_v1_RemoveBackendRequest, _maildirector_admin_v1_RingChangeResponse, _maildirector_admin_v1_RemoveBackendRequest__Output, _maildirector_admin_v1_RingChangeResponse__Output>
  RemoveDirector: MethodDefinition<_maildirector_admin_v1_RemoveDirectorRequest, _maildirector_admin_v1_RingChangeResponse, _maildirector_admin_v1_RemoveDirectorRequest__Output, _maildirector_admin_v1_RingChangeResponse__Output>
  Ring: MethodDefinition<_maildirector_admin_v1_RingRequest, _maildirector_admin_v1_RingResponse, _maildirector_admin_v1_RingRequest__Output, _maildirector_admin_v1_RingResponse__Output>
  SetBackendState: MethodDefinition<_maildirector_admin_v1_SetBackendStateRequest, _maildirector_admin_v1_RingChangeResponse, _maildirector_admin_v1_SetBackendStateRequest__Output, _maildirector_admin_v1_RingChangeResponse__Output>
  SetBackendWeight: MethodDefinition<_maildirector_admin_v1_SetBackendWeightRequest, _maildirector_admin_v1_RingChangeResponse, _maildirector_admin_v1_SetBackendWeightRequest__Output, _maildirector_admin_v1_RingChangeResponse__Output>
  Status: MethodDefinition<_maildirector_admin_v1_StatusRequest, _maildirector_admin_v1_StatusResponse, _maildirector_admin_v1_StatusRequest__Output, _maildirector_admin_v1_StatusResponse__Output>
  UserWhere: MethodDefinition<_maildirector_admin_v1_UserWhereRequest, _maildirector_admin_v1_UserWhereResponse, _maildirector_admin_v1_UserWhereRequest__Output, _maildirector_admin_v1_UserWhereResponse__Output>
  Who: MethodDefinition<_maildirector_admin_v1_WhoRequest, _maildirector_admin_v1_WhoResponse, _maildirector_admin_v1_WhoRequest__Output, _maildirector_admin_v1_WhoResponse__Output>
}
