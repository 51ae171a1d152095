// Original file: maildirector/admin/v1/admin.proto

import type { PlannedChange as _maildirector_admin_v1_PlannedChange, PlannedChange__Output as _maildirector_admin_v1_PlannedChange__Output } from '../../../maildirector/admin/v1/PlannedChange.js';
import type { PlannedBackendList as _maildirector_admin_v1_PlannedBackendList, PlannedBackendList__Output as _maildirector_admin_v1_PlannedBackendList__Output } from '../../../maildirector/admin/v1/PlannedBackendList.js';

export interface PlanRingRequest {
  'change'?: (_maildirector_admin_v1_PlannedChange | null);
  'backends'?: (_maildirector_admin_v1_PlannedBackendList | null);
  'allUsers'?: (boolean);
  'listMoves'?: (boolean);
  'desired'?: "change"|"backends";
}

export interface PlanRingRequest__Output {
  'change'?: (_maildirector_admin_v1_PlannedChange__Output | null);
  'backends'?: (_maildirector_admin_v1_PlannedBackendList__Output | null);
  'allUsers': (boolean);
  'listMoves': (boolean);
  'desired'?: "change"|"backends";
}
