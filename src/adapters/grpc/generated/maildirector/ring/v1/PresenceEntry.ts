// Original file: maildirector/ring/v1/ring.proto

import type { Placement as _maildirector_ring_v1_Placement, Placement__Output as _maildirector_ring_v1_Placement__Output } from '../../../maildirector/ring/v1/Placement.js';

export interface PresenceEntry {
  'user'?: (string);
  'directorId'?: (string);
  'placements'?: (_maildirector_ring_v1_Placement)[];
}

export interface PresenceEntry__Output {
  'user': (string);
  'directorId': (string);
  'placements': (_maildirector_ring_v1_Placement__Output)[];
}
