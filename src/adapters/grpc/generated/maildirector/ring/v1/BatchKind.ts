// Original file: maildirector/ring/v1/ring.proto

export const BatchKind = {
  BATCH_KIND_UNSPECIFIED: 'BATCH_KIND_UNSPECIFIED',
  BATCH_KIND_FULL: 'BATCH_KIND_FULL',
  BATCH_KIND_DELTA: 'BATCH_KIND_DELTA',
} as const;

export type BatchKind =
  | 'BATCH_KIND_UNSPECIFIED'
  | 0
  | 'BATCH_KIND_FULL'
  | 1
  | 'BATCH_KIND_DELTA'
  | 2

export type BatchKind__Output = typeof BatchKind[keyof typeof BatchKind]
