// Original file: maildirector/ring/v1/ring.proto


export interface BackendSpec {
  'host'?: (string);
  'ports'?: ({[key: string]: number});
  'weight'?: (number);
  'tag'?: (string);
}

export interface BackendSpec__Output {
  'host': (string);
  'ports': ({[key: string]: number});
  'weight': (number);
  'tag': (string);
}
