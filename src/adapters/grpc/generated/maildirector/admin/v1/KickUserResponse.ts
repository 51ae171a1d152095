// Original file: maildirector/admin/v1/admin.proto

import type { DirectorKick as _maildirector_admin_v1_DirectorKick, DirectorKick__Output as _maildirector_admin_v1_DirectorKick__Output } from '../../../maildirector/admin/v1/DirectorKick.js';

export interface KickUserResponse {
  'kicked'?: (number);
  'directors'?: (_maildirector_admin_v1_DirectorKick)[];
  'unreachable'?: (string)[];
}

export interface KickUserResponse__Output {
  'kicked': (number);
  'directors': (_maildirector_admin_v1_DirectorKick__Output)[];
  'unreachable': (string)[];
}
