// Original file: maildirector/admin/v1/admin.proto

import type { BackendShareCount as _maildirector_admin_v1_BackendShareCount, BackendShareCount__Output as _maildirector_admin_v1_BackendShareCount__Output } from '../../../maildirector/admin/v1/BackendShareCount.js';
import type { PlannedUserMove as _maildirector_admin_v1_PlannedUserMove, PlannedUserMove__Output as _maildirector_admin_v1_PlannedUserMove__Output } from '../../../maildirector/admin/v1/PlannedUserMove.js';

export interface PlanRingResponse {
  'source'?: (string);
  'users'?: (number);
  'moved'?: (number);
  'keptBySessions'?: (number);
  'unplaced'?: (number);
  'shares'?: (_maildirector_admin_v1_BackendShareCount)[];
  'moves'?: (_maildirector_admin_v1_PlannedUserMove)[];
  'skipped'?: (number);
  'placement'?: (string);
}

export interface PlanRingResponse__Output {
  'source': (string);
  'users': (number);
  'moved': (number);
  'keptBySessions': (number);
  'unplaced': (number);
  'shares': (_maildirector_admin_v1_BackendShareCount__Output)[];
  'moves': (_maildirector_admin_v1_PlannedUserMove__Output)[];
  'skipped': (number);
  'placement': (string);
}
