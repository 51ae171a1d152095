// Original file: maildirector/admin/v1/admin.proto


export interface BackendShareCount {
  'backendId'?: (string);
  'before'?: (number);
  'after'?: (number);
}

export interface BackendShareCount__Output {
  'backendId': (string);
  'before': (number);
  'after': (number);
}
