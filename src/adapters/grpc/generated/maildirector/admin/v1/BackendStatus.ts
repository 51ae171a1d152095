// Original file: maildirector/admin/v1/admin.proto

import type { BackendState as _maildirector_admin_v1_BackendState, BackendState__Output as _maildirector_admin_v1_BackendState__Output } from '../../../maildirector/admin/v1/BackendState.js';

export interface BackendStatus {
  'id'?: (string);
  'host'?: (string);
  'ports'?: ({[key: string]: number});
  'weight'?: (number);
  'tag'?: (string);
  'state'?: (_maildirector_admin_v1_BackendState);
}

export interface BackendStatus__Output {
  'id': (string);
  'host': (string);
  'ports': ({[key: string]: number});
  'weight': (number);
  'tag': (string);
  'state': (_maildirector_admin_v1_BackendState__Output);
}
