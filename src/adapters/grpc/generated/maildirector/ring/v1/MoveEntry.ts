// Original file: maildirector/ring/v1/ring.proto


export interface MoveEntry {
  'user'?: (string);
  'cleared'?: (boolean);
  'backendId'?: (string);
  'host'?: (string);
}

export interface MoveEntry__Output {
  'user': (string);
  'cleared': (boolean);
  'backendId': (string);
  'host': (string);
}
