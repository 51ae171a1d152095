// Original file: maildirector/ring/v1/ring.proto


export interface DirectorEntry {
  'directorId'?: (string);
  'removed'?: (boolean);
  'address'?: (string);
}

export interface DirectorEntry__Output {
  'directorId': (string);
  'removed': (boolean);
  'address': (string);
}
