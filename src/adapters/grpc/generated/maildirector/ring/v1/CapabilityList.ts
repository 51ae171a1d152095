// Original file: maildirector/ring/v1/ring.proto


export interface CapabilityList {
  'names'?: (string)[];
}

export interface CapabilityList__Output {
  'names': (string)[];
}
