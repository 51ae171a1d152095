// Original file: maildirector/ring/v1/ring.proto

import type { Version as _maildirector_ring_v1_Version, Version__Output as _maildirector_ring_v1_Version__Output } from '../../../maildirector/ring/v1/Version.js';
import type { BackendEntry as _maildirector_ring_v1_BackendEntry, BackendEntry__Output as _maildirector_ring_v1_BackendEntry__Output } from '../../../maildirector/ring/v1/BackendEntry.js';
import type { AdminEntry as _maildirector_ring_v1_AdminEntry, AdminEntry__Output as _maildirector_ring_v1_AdminEntry__Output } from '../../../maildirector/ring/v1/AdminEntry.js';
import type { VerdictEntry as _maildirector_ring_v1_VerdictEntry, VerdictEntry__Output as _maildirector_ring_v1_VerdictEntry__Output } from '../../../maildirector/ring/v1/VerdictEntry.js';
import type { DirectorEntry as _maildirector_ring_v1_DirectorEntry, DirectorEntry__Output as _maildirector_ring_v1_DirectorEntry__Output } from '../../../maildirector/ring/v1/DirectorEntry.js';
import type { MoveEntry as _maildirector_ring_v1_MoveEntry, MoveEntry__Output as _maildirector_ring_v1_MoveEntry__Output } from '../../../maildirector/ring/v1/MoveEntry.js';
import type { PresenceEntry as _maildirector_ring_v1_PresenceEntry, PresenceEntry__Output as _maildirector_ring_v1_PresenceEntry__Output } from '../../../maildirector/ring/v1/PresenceEntry.js';

export interface Entry {
  'version'?: (_maildirector_ring_v1_Version | null);
  'backend'?: (_maildirector_ring_v1_BackendEntry | null);
  'admin'?: (_maildirector_ring_v1_AdminEntry | null);
  'verdict'?: (_maildirector_ring_v1_VerdictEntry | null);
  'director'?: (_maildirector_ring_v1_DirectorEntry | null);
  'move'?: (_maildirector_ring_v1_MoveEntry | null);
  'presence'?: (_maildirector_ring_v1_PresenceEntry | null);
  'entry'?: "backend"|"admin"|"verdict"|"director"|"move"|"presence";
}

export interface Entry__Output {
  'version': (_maildirector_ring_v1_Version__Output | null);
  'backend'?: (_maildirector_ring_v1_BackendEntry__Output | null);
  'admin'?: (_maildirector_ring_v1_AdminEntry__Output | null);
  'verdict'?: (_maildirector_ring_v1_VerdictEntry__Output | null);
  'director'?: (_maildirector_ring_v1_DirectorEntry__Output | null);
  'move'?: (_maildirector_ring_v1_MoveEntry__Output | null);
  'presence'?: (_maildirector_ring_v1_PresenceEntry__Output | null);
  'entry'?: "backend"|"admin"|"verdict"|"director"|"move"|"presence";
}
