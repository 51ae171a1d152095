// Original file: maildirector/ring/v1/ring.proto

import type { CapabilityList as _maildirector_ring_v1_CapabilityList, CapabilityList__Output as _maildirector_ring_v1_CapabilityList__Output } from '../../../maildirector/ring/v1/CapabilityList.js';

export interface VerdictEntry {
  'directorId'?: (string);
  'backendId'?: (string);
  'down'?: (boolean);
  'imapCapabilities'?: (string)[];
  'pop3Capabilities'?: (string)[];
  'capabilities'?: ({[key: string]: _maildirector_ring_v1_CapabilityList});
}

export interface VerdictEntry__Output {
  'directorId': (string);
  'backendId': (string);
  'down': (boolean);
  'imapCapabilities': (string)[];
  'pop3Capabilities': (string)[];
  'capabilities': ({[key: string]: _maildirector_ring_v1_CapabilityList__Output});
}
