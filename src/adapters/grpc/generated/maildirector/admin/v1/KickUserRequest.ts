// Original file: maildirector/admin/v1/admin.proto


export interface KickUserRequest {
  'user'?: (string);
  'reason'?: (string);
  'backendHost'?: (string);
  'local'?: (boolean);
}

export interface KickUserRequest__Output {
  'user': (string);
  'reason': (string);
  'backendHost': (string);
  'local': (boolean);
}
