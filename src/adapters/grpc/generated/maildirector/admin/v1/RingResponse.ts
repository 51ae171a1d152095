// Original file: maildirector/admin/v1/admin.proto

import type { RingDirector as _maildirector_admin_v1_RingDirector, RingDirector__Output as _maildirector_admin_v1_RingDirector__Output } from '../../../maildirector/admin/v1/RingDirector.js';
import type { Long } from '@grpc/proto-loader';

export interface RingResponse {
  'directorId'?: (string);
  'clock'?: (number | string | Long);
  'directors'?: (_maildirector_admin_v1_RingDirector)[];
  'entries'?: (number);
}

export interface RingResponse__Output {
  'directorId': (string);
  'clock': (number);
  'directors': (_maildirector_admin_v1_RingDirector__Output)[];
  'entries': (number);
}
