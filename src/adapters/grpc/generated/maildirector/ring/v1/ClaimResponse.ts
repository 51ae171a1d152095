// Original file: maildirector/ring/v1/ring.proto


export interface ClaimResponse {
  'granted'?: (boolean);
  'holder'?: (string);
  'holderHost'?: (string);
}

export interface ClaimResponse__Output {
  'granted': (boolean);
  'holder': (string);
  'holderHost': (string);
}
