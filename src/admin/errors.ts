/** The request names a user the passdb does not know (gRPC NOT_FOUND; the CLI exits 67, EX_NOUSER). */
export class AdminNotFoundError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'AdminNotFoundError';
  }
}

/** A request the admin service refuses before doing anything (gRPC INVALID_ARGUMENT). */
export class AdminRequestError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'AdminRequestError';
  }
}
