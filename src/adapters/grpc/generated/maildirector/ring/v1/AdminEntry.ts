// Original file: maildirector/ring/v1/ring.proto

import type { AdminState as _maildirector_ring_v1_AdminState, AdminState__Output as _maildirector_ring_v1_AdminState__Output } from '../../../maildirector/ring/v1/AdminState.js';

export interface AdminEntry {
  'backendId'?: (string);
  'state'?: (_maildirector_ring_v1_AdminState);
}

export interface AdminEntry__Output {
  'backendId': (string);
  'state': (_maildirector_ring_v1_AdminState__Output);
}
