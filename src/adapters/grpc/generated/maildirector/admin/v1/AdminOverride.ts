// Original file: maildirector/admin/v1/admin.proto

export const AdminOverride = {
  ADMIN_OVERRIDE_UNSPECIFIED: 'ADMIN_OVERRIDE_UNSPECIFIED',
  ADMIN_OVERRIDE_NONE: 'ADMIN_OVERRIDE_NONE',
  ADMIN_OVERRIDE_UP: 'ADMIN_OVERRIDE_UP',
  ADMIN_OVERRIDE_DOWN: 'ADMIN_OVERRIDE_DOWN',
} as const;

export type AdminOverride =
  | 'ADMIN_OVERRIDE_UNSPECIFIED'
  | 0
  | 'ADMIN_OVERRIDE_NONE'
  | 1
  | 'ADMIN_OVERRIDE_UP'
  | 2
  | 'ADMIN_OVERRIDE_DOWN'
  | 3

export type AdminOverride__Output = typeof AdminOverride[keyof typeof AdminOverride]
