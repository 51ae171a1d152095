/** A request the admin service refuses before doing anything (gRPC INVALID_ARGUMENT). */
export class AdminRequestError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'AdminRequestError';
  }
}
