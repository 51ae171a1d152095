// Original file: maildirector/admin/v1/admin.proto

import type { SessionHolder as _maildirector_admin_v1_SessionHolder, SessionHolder__Output as _maildirector_admin_v1_SessionHolder__Output } from '../../../maildirector/admin/v1/SessionHolder.js';
import type { Long } from '@grpc/proto-loader';

export interface UserWhereResponse {
  'user'?: (string);
  'reason'?: (string);
  'detail'?: (string);
  'backendId'?: (string);
  'host'?: (string);
  'port'?: (number);
  'tag'?: (string);
  'ldapHost'?: (string);
  'movedTo'?: (string);
  'delayedUntilMs'?: (number | string | Long);
  'sessions'?: (_maildirector_admin_v1_SessionHolder)[];
}

export interface UserWhereResponse__Output {
  'user': (string);
  'reason': (string);
  'detail': (string);
  'backendId': (string);
  'host': (string);
  'port': (number);
  'tag': (string);
  'ldapHost': (string);
  'movedTo': (string);
  'delayedUntilMs': (number);
  'sessions': (_maildirector_admin_v1_SessionHolder__Output)[];
}
