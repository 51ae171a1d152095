// Original file: maildirector/admin/v1/admin.proto


export interface KickUserResponse {
  'kicked'?: (number);
}

export interface KickUserResponse__Output {
  'kicked': (number);
}
