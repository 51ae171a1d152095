// Original file: maildirector/admin/v1/admin.proto


export interface PlannedBackend {
  'id'?: (string);
  'host'?: (string);
  'ports'?: ({[key: string]: number});
  'weight'?: (number);
  'tag'?: (string);
  'health'?: (string);
}

export interface PlannedBackend__Output {
  'id': (string);
  'host': (string);
  'ports': ({[key: string]: number});
  'weight': (number);
  'tag': (string);
  'health': (string);
}
