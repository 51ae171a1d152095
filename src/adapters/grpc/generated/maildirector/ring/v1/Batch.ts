// Original file: maildirector/ring/v1/ring.proto

import type { BatchKind as _maildirector_ring_v1_BatchKind, BatchKind__Output as _maildirector_ring_v1_BatchKind__Output } from '../../../maildirector/ring/v1/BatchKind.js';
import type { Entry as _maildirector_ring_v1_Entry, Entry__Output as _maildirector_ring_v1_Entry__Output } from '../../../maildirector/ring/v1/Entry.js';
import type { Long } from '@grpc/proto-loader';

export interface Batch {
  'seq'?: (number | string | Long);
  'kind'?: (_maildirector_ring_v1_BatchKind);
  'lastOfFull'?: (boolean);
  'entries'?: (_maildirector_ring_v1_Entry)[];
}

export interface Batch__Output {
  'seq': (number);
  'kind': (_maildirector_ring_v1_BatchKind__Output);
  'lastOfFull': (boolean);
  'entries': (_maildirector_ring_v1_Entry__Output)[];
}
