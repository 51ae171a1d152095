// Original file: maildirector/admin/v1/admin.proto

import type { AdminOverride as _maildirector_admin_v1_AdminOverride, AdminOverride__Output as _maildirector_admin_v1_AdminOverride__Output } from '../../../maildirector/admin/v1/AdminOverride.js';

export interface SetBackendStateRequest {
  'id'?: (string);
  'state'?: (_maildirector_admin_v1_AdminOverride);
}

export interface SetBackendStateRequest__Output {
  'id': (string);
  'state': (_maildirector_admin_v1_AdminOverride__Output);
}
