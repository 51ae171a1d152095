// Original file: maildirector/admin/v1/admin.proto


export interface PlannedChange {
  'action'?: (string);
  'id'?: (string);
  'host'?: (string);
  'ports'?: ({[key: string]: number});
  'weight'?: (number);
  'tag'?: (string);
}

export interface PlannedChange__Output {
  'action': (string);
  'id': (string);
  'host': (string);
  'ports': ({[key: string]: number});
  'weight': (number);
  'tag': (string);
}
