// Original file: maildirector/admin/v1/admin.proto


export interface SetBackendWeightRequest {
  'id'?: (string);
  'weight'?: (number);
}

export interface SetBackendWeightRequest__Output {
  'id': (string);
  'weight': (number);
}
