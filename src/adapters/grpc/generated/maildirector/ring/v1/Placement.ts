// Original file: maildirector/ring/v1/ring.proto


export interface Placement {
  'host'?: (string);
  'backendId'?: (string);
  'sessions'?: (number);
}

export interface Placement__Output {
  'host': (string);
  'backendId': (string);
  'sessions': (number);
}
