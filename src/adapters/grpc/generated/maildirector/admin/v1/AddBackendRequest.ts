// Original file: maildirector/admin/v1/admin.proto


export interface AddBackendRequest {
  'id'?: (string);
  'host'?: (string);
  'ports'?: ({[key: string]: number});
  'weight'?: (number);
  'tag'?: (string);
}

export interface AddBackendRequest__Output {
  'id': (string);
  'host': (string);
  'ports': ({[key: string]: number});
  'weight': (number);
  'tag': (string);
}
