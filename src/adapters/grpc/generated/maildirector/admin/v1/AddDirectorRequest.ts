// Original file: maildirector/admin/v1/admin.proto


export interface AddDirectorRequest {
  'id'?: (string);
  'address'?: (string);
}

export interface AddDirectorRequest__Output {
  'id': (string);
  'address': (string);
}
