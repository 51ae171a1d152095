// Original file: maildirector/ring/v1/ring.proto

import type { Long } from '@grpc/proto-loader';

export interface Version {
  'counter'?: (number | string | Long);
  'origin'?: (string);
}

export interface Version__Output {
  'counter': (number);
  'origin': (string);
}
