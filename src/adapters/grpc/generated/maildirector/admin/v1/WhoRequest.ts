// Original file: maildirector/admin/v1/admin.proto


export interface WhoRequest {
  'userMask'?: (string);
}

export interface WhoRequest__Output {
  'userMask': (string);
}
