// Original file: maildirector/admin/v1/admin.proto


export interface FlushAuthCacheResponse {
  'flushed'?: (number);
}

export interface FlushAuthCacheResponse__Output {
  'flushed': (number);
}
