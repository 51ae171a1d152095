// Original file: maildirector/admin/v1/admin.proto


export interface PlannedUserMove {
  'user'?: (string);
  'from'?: (string);
  'to'?: (string);
  'keptBySessions'?: (boolean);
}

export interface PlannedUserMove__Output {
  'user': (string);
  'from': (string);
  'to': (string);
  'keptBySessions': (boolean);
}
