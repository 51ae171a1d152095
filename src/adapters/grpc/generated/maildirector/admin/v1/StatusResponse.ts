// Original file: maildirector/admin/v1/admin.proto

import type { BackendStatus as _maildirector_admin_v1_BackendStatus, BackendStatus__Output as _maildirector_admin_v1_BackendStatus__Output } from '../../../maildirector/admin/v1/BackendStatus.js';
import type { Long } from '@grpc/proto-loader';

export interface StatusResponse {
  'directorId'?: (string);
  'startedAtMs'?: (number | string | Long);
  'uptimeMs'?: (number | string | Long);
  'sessionCount'?: (number);
  'backends'?: (_maildirector_admin_v1_BackendStatus)[];
  'directorsLive'?: (number);
  'directorsTotal'?: (number);
  'ringClock'?: (number | string | Long);
}

export interface StatusResponse__Output {
  'directorId': (string);
  'startedAtMs': (number);
  'uptimeMs': (number);
  'sessionCount': (number);
  'backends': (_maildirector_admin_v1_BackendStatus__Output)[];
  'directorsLive': (number);
  'directorsTotal': (number);
  'ringClock': (number);
}
