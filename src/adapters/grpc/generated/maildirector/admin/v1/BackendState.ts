// Original file: maildirector/admin/v1/admin.proto

export const BackendState = {
  BACKEND_STATE_UNSPECIFIED: 'BACKEND_STATE_UNSPECIFIED',
  BACKEND_STATE_UP: 'BACKEND_STATE_UP',
  BACKEND_STATE_DOWN: 'BACKEND_STATE_DOWN',
  BACKEND_STATE_PENDING: 'BACKEND_STATE_PENDING',
} as const;

export type BackendState =
  | 'BACKEND_STATE_UNSPECIFIED'
  | 0
  | 'BACKEND_STATE_UP'
  | 1
  | 'BACKEND_STATE_DOWN'
  | 2
  | 'BACKEND_STATE_PENDING'
  | 3

export type BackendState__Output = typeof BackendState[keyof typeof BackendState]
