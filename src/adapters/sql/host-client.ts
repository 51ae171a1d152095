/** A result as the passdb reads it: column names in order, every value as text or NULL. */
export interface SqlRows {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | null)[])[];
}

/** How one database host is reached (the rest is per driver). */
export interface SqlHostOptions {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string | undefined;
  /** Revealed only to the driver's connect. */
  readonly password: string | undefined;
  readonly connectTimeoutMs: number;
  readonly poolSize: number;
}

/**
 * A pool of connections to one host. `query` runs one statement with bound
 * parameters and gives up after `deadlineMs` (connect included), closing the
 * connection it was stuck on; it throws SqlError only.
 */
export interface SqlHostClient {
  readonly name: string;
  query(text: string, values: readonly string[], deadlineMs: number): Promise<SqlRows>;
  close(): Promise<void>;
}
