// Original file: maildirector/ring/v1/ring.proto

import type { Long } from '@grpc/proto-loader';

export interface PeerStatus {
  'directorId'?: (string);
  'live'?: (boolean);
  'lastHeardMs'?: (number | string | Long);
}

export interface PeerStatus__Output {
  'directorId': (string);
  'live': (boolean);
  'lastHeardMs': (number);
}
