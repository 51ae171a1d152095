// Original file: maildirector/admin/v1/admin.proto


export interface RemoveBackendRequest {
  'id'?: (string);
}

export interface RemoveBackendRequest__Output {
  'id': (string);
}
