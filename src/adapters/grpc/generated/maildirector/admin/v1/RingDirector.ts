// Original file: maildirector/admin/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface RingDirector {
  'id'?: (string);
  'address'?: (string);
  'self'?: (boolean);
  'live'?: (boolean);
  'lastHeardMs'?: (number | string | Long);
  'linkOpen'?: (boolean);
}

export interface RingDirector__Output {
  'id': (string);
  'address': (string);
  'self': (boolean);
  'live': (boolean);
  'lastHeardMs': (number);
  'linkOpen': (boolean);
}
