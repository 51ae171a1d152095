// Original file: maildirector/admin/v1/admin.proto

import type { PlannedBackend as _maildirector_admin_v1_PlannedBackend, PlannedBackend__Output as _maildirector_admin_v1_PlannedBackend__Output } from '../../../maildirector/admin/v1/PlannedBackend.js';

export interface PlannedBackendList {
  'backends'?: (_maildirector_admin_v1_PlannedBackend)[];
}

export interface PlannedBackendList__Output {
  'backends': (_maildirector_admin_v1_PlannedBackend__Output)[];
}
