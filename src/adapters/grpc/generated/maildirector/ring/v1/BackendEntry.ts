// Original file: maildirector/ring/v1/ring.proto

import type { BackendSpec as _maildirector_ring_v1_BackendSpec, BackendSpec__Output as _maildirector_ring_v1_BackendSpec__Output } from '../../../maildirector/ring/v1/BackendSpec.js';
import type { Long } from '@grpc/proto-loader';

export interface BackendEntry {
  'backendId'?: (string);
  'removed'?: (boolean);
  'spec'?: (_maildirector_ring_v1_BackendSpec | null);
  'since'?: (number | string | Long);
}

export interface BackendEntry__Output {
  'backendId': (string);
  'removed': (boolean);
  'spec': (_maildirector_ring_v1_BackendSpec__Output | null);
  'since': (number);
}
