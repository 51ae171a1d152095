// Original file: maildirector/ring/v1/ring.proto

import type { Entry as _maildirector_ring_v1_Entry, Entry__Output as _maildirector_ring_v1_Entry__Output } from '../../../maildirector/ring/v1/Entry.js';
import type { PeerStatus as _maildirector_ring_v1_PeerStatus, PeerStatus__Output as _maildirector_ring_v1_PeerStatus__Output } from '../../../maildirector/ring/v1/PeerStatus.js';
import type { Long } from '@grpc/proto-loader';

export interface SnapshotResponse {
  'directorId'?: (string);
  'clock'?: (number | string | Long);
  'entries'?: (_maildirector_ring_v1_Entry)[];
  'peers'?: (_maildirector_ring_v1_PeerStatus)[];
  'down'?: (string)[];
}

export interface SnapshotResponse__Output {
  'directorId': (string);
  'clock': (number);
  'entries': (_maildirector_ring_v1_Entry__Output)[];
  'peers': (_maildirector_ring_v1_PeerStatus__Output)[];
  'down': (string)[];
}
