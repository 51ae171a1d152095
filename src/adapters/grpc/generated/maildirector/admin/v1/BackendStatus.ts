// Original file: maildirector/admin/v1/admin.proto

import type { BackendState as _maildirector_admin_v1_BackendState, BackendState__Output as _maildirector_admin_v1_BackendState__Output } from '../../../maildirector/admin/v1/BackendState.js';
import type { AdminOverride as _maildirector_admin_v1_AdminOverride, AdminOverride__Output as _maildirector_admin_v1_AdminOverride__Output } from '../../../maildirector/admin/v1/AdminOverride.js';

export interface BackendStatus {
  'id'?: (string);
  'host'?: (string);
  'ports'?: ({[key: string]: number});
  'weight'?: (number);
  'tag'?: (string);
  'state'?: (_maildirector_admin_v1_BackendState);
  'admin'?: (_maildirector_admin_v1_AdminOverride);
  'voters'?: (number);
  'downVotes'?: (number);
  'sessions'?: (number);
  'users'?: (number);
}

export interface BackendStatus__Output {
  'id': (string);
  'host': (string);
  'ports': ({[key: string]: number});
  'weight': (number);
  'tag': (string);
  'state': (_maildirector_admin_v1_BackendState__Output);
  'admin': (_maildirector_admin_v1_AdminOverride__Output);
  'voters': (number);
  'downVotes': (number);
  'sessions': (number);
  'users': (number);
}
