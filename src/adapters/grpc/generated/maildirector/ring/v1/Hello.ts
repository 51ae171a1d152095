// Original file: maildirector/ring/v1/ring.proto

import type { Long } from '@grpc/proto-loader';

export interface Hello {
  'directorId'?: (string);
  'clock'?: (number | string | Long);
  'wantState'?: (boolean);
  'placement'?: (string);
  'hashKey'?: (string);
}

export interface Hello__Output {
  'directorId': (string);
  'clock': (number);
  'wantState': (boolean);
  'placement': (string);
  'hashKey': (string);
}
