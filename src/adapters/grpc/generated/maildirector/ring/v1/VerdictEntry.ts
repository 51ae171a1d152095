// Original file: maildirector/ring/v1/ring.proto


export interface VerdictEntry {
  'directorId'?: (string);
  'backendId'?: (string);
  'down'?: (boolean);
  'imapCapabilities'?: (string)[];
  'pop3Capabilities'?: (string)[];
}

export interface VerdictEntry__Output {
  'directorId': (string);
  'backendId': (string);
  'down': (boolean);
  'imapCapabilities': (string)[];
  'pop3Capabilities': (string)[];
}
