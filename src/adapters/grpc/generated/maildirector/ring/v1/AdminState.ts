// Original file: maildirector/ring/v1/ring.proto

export const AdminState = {
  ADMIN_STATE_UNSPECIFIED: 'ADMIN_STATE_UNSPECIFIED',
  ADMIN_STATE_NONE: 'ADMIN_STATE_NONE',
  ADMIN_STATE_UP: 'ADMIN_STATE_UP',
  ADMIN_STATE_DOWN: 'ADMIN_STATE_DOWN',
} as const;

export type AdminState =
  | 'ADMIN_STATE_UNSPECIFIED'
  | 0
  | 'ADMIN_STATE_NONE'
  | 1
  | 'ADMIN_STATE_UP'
  | 2
  | 'ADMIN_STATE_DOWN'
  | 3

export type AdminState__Output = typeof AdminState[keyof typeof AdminState]
