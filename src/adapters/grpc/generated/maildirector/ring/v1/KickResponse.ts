// Original file: maildirector/ring/v1/ring.proto


export interface KickResponse {
  'kicked'?: (number);
}

export interface KickResponse__Output {
  'kicked': (number);
}
