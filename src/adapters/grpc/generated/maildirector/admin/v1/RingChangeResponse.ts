// Original file: maildirector/admin/v1/admin.proto


export interface RingChangeResponse {
  'applied'?: (number);
  'ackedBy'?: (string)[];
  'notAcked'?: (string)[];
  'down'?: (string)[];
  'movedUsers'?: (number);
  'pending'?: (string)[];
  'addresses'?: (string)[];
}

export interface RingChangeResponse__Output {
  'applied': (number);
  'ackedBy': (string)[];
  'notAcked': (string)[];
  'down': (string)[];
  'movedUsers': (number);
  'pending': (string)[];
  'addresses': (string)[];
}
