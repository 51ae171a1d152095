// Original file: maildirector/admin/v1/admin.proto


export interface RemoveDirectorRequest {
  'id'?: (string);
}

export interface RemoveDirectorRequest__Output {
  'id': (string);
}
