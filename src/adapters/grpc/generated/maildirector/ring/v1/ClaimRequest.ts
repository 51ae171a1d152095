// Original file: maildirector/ring/v1/ring.proto

import type { Long } from '@grpc/proto-loader';

export interface ClaimRequest {
  'user'?: (string);
  'host'?: (string);
  'directorId'?: (string);
  'presenceCounter'?: (number | string | Long);
  'release'?: (boolean);
}

export interface ClaimRequest__Output {
  'user': (string);
  'host': (string);
  'directorId': (string);
  'presenceCounter': (number);
  'release': (boolean);
}
