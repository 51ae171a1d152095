// Original file: maildirector/admin/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface MoveUserResponse {
  'user'?: (string);
  'from'?: (string);
  'to'?: (string);
  'toHost'?: (string);
  'kicked'?: (number);
  'waitedMs'?: (number | string | Long);
  'complete'?: (boolean);
  'delayUntilMs'?: (number | string | Long);
}

export interface MoveUserResponse__Output {
  'user': (string);
  'from': (string);
  'to': (string);
  'toHost': (string);
  'kicked': (number);
  'waitedMs': (number);
  'complete': (boolean);
  'delayUntilMs': (number);
}
