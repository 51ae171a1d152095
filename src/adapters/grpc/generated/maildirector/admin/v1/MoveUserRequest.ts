// Original file: maildirector/admin/v1/admin.proto


export interface MoveUserRequest {
  'user'?: (string);
  'backendId'?: (string);
  'delayMs'?: (number);
}

export interface MoveUserRequest__Output {
  'user': (string);
  'backendId': (string);
  'delayMs': (number);
}
