// Original file: maildirector/admin/v1/admin.proto


export interface SessionHolder {
  'directorId'?: (string);
  'backendId'?: (string);
  'backendHost'?: (string);
  'sessions'?: (number);
}

export interface SessionHolder__Output {
  'directorId': (string);
  'backendId': (string);
  'backendHost': (string);
  'sessions': (number);
}
