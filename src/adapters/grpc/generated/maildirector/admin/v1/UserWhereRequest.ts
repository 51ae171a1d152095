// Original file: maildirector/admin/v1/admin.proto


export interface UserWhereRequest {
  'user'?: (string);
  'protocol'?: (string);
}

export interface UserWhereRequest__Output {
  'user': (string);
  'protocol': (string);
}
