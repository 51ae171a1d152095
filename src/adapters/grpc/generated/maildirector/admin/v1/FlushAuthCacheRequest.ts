// Original file: maildirector/admin/v1/admin.proto


export interface FlushAuthCacheRequest {
  'user'?: (string);
}

export interface FlushAuthCacheRequest__Output {
  'user': (string);
}
