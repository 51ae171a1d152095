// Original file: maildirector/admin/v1/admin.proto

import type { Session as _maildirector_admin_v1_Session, Session__Output as _maildirector_admin_v1_Session__Output } from '../../../maildirector/admin/v1/Session.js';

export interface WhoResponse {
  'sessions'?: (_maildirector_admin_v1_Session)[];
}

export interface WhoResponse__Output {
  'sessions': (_maildirector_admin_v1_Session__Output)[];
}
