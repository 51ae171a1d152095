/** Why a gRPC server could not be started. */
export type GrpcServerErrorKind =
  /** Plaintext was asked for on an address other hosts can reach. */
  | 'insecure_non_loopback'
  /** The address could not be bound (in use, not local, bad syntax). */
  | 'bind_failed';

export class GrpcServerError extends Error {
  readonly kind: GrpcServerErrorKind;
  /** host:port as it was asked for. */
  readonly address: string;

  constructor(kind: GrpcServerErrorKind, address: string, detail: string, options?: { cause?: unknown }) {
    super(`gRPC server on ${address}: ${detail}`, options);
    this.name = 'GrpcServerError';
    this.kind = kind;
    this.address = address;
  }
}

/** How an admin call failed, as the CLI needs to tell it. */
export type AdminCallErrorKind =
  /** No answer: nothing listening, TLS refused, timed out. */
  | 'unreachable'
  /** The director answered with an error status. */
  | 'rejected';

export class AdminCallError extends Error {
  readonly kind: AdminCallErrorKind;
  /** The gRPC status code (grpc.status). */
  readonly code: number;
  /** The status details, first line only. */
  readonly details: string;

  constructor(kind: AdminCallErrorKind, code: number, details: string) {
    super(details);
    this.name = 'AdminCallError';
    this.kind = kind;
    this.code = code;
    this.details = details;
  }
}
