/** Why a harness step failed; `detail` carries log tails and exit codes for the test report. */
export type HarnessFailureKind =
  | 'spawn_failed'
  | 'not_ready'
  | 'exited_early'
  | 'command_failed'
  | 'protocol_error'
  | 'bad_input'
  | 'already_running';

export class HarnessError extends Error {
  override readonly name = 'HarnessError';
  readonly kind: HarnessFailureKind;

  constructor(kind: HarnessFailureKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.kind = kind;
  }
}
