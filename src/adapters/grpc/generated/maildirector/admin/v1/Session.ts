// Original file: maildirector/admin/v1/admin.proto

import type { Long } from '@grpc/proto-loader';

export interface Session {
  'sessionId'?: (string);
  'user'?: (string);
  'protocol'?: (string);
  'clientIp'?: (string);
  'clientPort'?: (number);
  'backendId'?: (string);
  'backendHost'?: (string);
  'backendPort'?: (number);
  'startedAtMs'?: (number | string | Long);
  'bytesFromClient'?: (number | string | Long);
  'bytesFromBackend'?: (number | string | Long);
  'directorId'?: (string);
}

export interface Session__Output {
  'sessionId': (string);
  'user': (string);
  'protocol': (string);
  'clientIp': (string);
  'clientPort': (number);
  'backendId': (string);
  'backendHost': (string);
  'backendPort': (number);
  'startedAtMs': (number);
  'bytesFromClient': (number);
  'bytesFromBackend': (number);
  'directorId': (string);
}
