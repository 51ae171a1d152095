// Original file: maildirector/ring/v1/ring.proto

import type { Entry as _maildirector_ring_v1_Entry, Entry__Output as _maildirector_ring_v1_Entry__Output } from '../../../maildirector/ring/v1/Entry.js';

export interface ApplyRequest {
  'entries'?: (_maildirector_ring_v1_Entry)[];
  'timeoutMs'?: (number);
}

export interface ApplyRequest__Output {
  'entries': (_maildirector_ring_v1_Entry__Output)[];
  'timeoutMs': (number);
}
