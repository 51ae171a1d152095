// Original file: maildirector/ring/v1/ring.proto


export interface ApplyResponse {
  'applied'?: (number);
  'ackedBy'?: (string)[];
  'notAcked'?: (string)[];
}

export interface ApplyResponse__Output {
  'applied': (number);
  'ackedBy': (string)[];
  'notAcked': (string)[];
}
