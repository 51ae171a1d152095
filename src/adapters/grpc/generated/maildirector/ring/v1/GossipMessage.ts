// Original file: maildirector/ring/v1/ring.proto

import type { Hello as _maildirector_ring_v1_Hello, Hello__Output as _maildirector_ring_v1_Hello__Output } from '../../../maildirector/ring/v1/Hello.js';
import type { Batch as _maildirector_ring_v1_Batch, Batch__Output as _maildirector_ring_v1_Batch__Output } from '../../../maildirector/ring/v1/Batch.js';
import type { Ack as _maildirector_ring_v1_Ack, Ack__Output as _maildirector_ring_v1_Ack__Output } from '../../../maildirector/ring/v1/Ack.js';
import type { Heartbeat as _maildirector_ring_v1_Heartbeat, Heartbeat__Output as _maildirector_ring_v1_Heartbeat__Output } from '../../../maildirector/ring/v1/Heartbeat.js';

export interface GossipMessage {
  'hello'?: (_maildirector_ring_v1_Hello | null);
  'batch'?: (_maildirector_ring_v1_Batch | null);
  'ack'?: (_maildirector_ring_v1_Ack | null);
  'heartbeat'?: (_maildirector_ring_v1_Heartbeat | null);
  'body'?: "hello"|"batch"|"ack"|"heartbeat";
}

export interface GossipMessage__Output {
  'hello'?: (_maildirector_ring_v1_Hello__Output | null);
  'batch'?: (_maildirector_ring_v1_Batch__Output | null);
  'ack'?: (_maildirector_ring_v1_Ack__Output | null);
  'heartbeat'?: (_maildirector_ring_v1_Heartbeat__Output | null);
  'body'?: "hello"|"batch"|"ack"|"heartbeat";
}
