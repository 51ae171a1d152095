// Original file: maildirector/ring/v1/ring.proto


export interface KickRequest {
  'user'?: (string);
  'reason'?: (string);
  'backendHost'?: (string);
}

export interface KickRequest__Output {
  'user': (string);
  'reason': (string);
  'backendHost': (string);
}
