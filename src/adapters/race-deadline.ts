/**
 * Settle with `work`, or reject with `expired(why)` when `ms` pass first
 * (at once when `ms` <= 0); `onExpire` then tears down whatever is stuck (the
 * connection the request runs on). The loser's late rejection is swallowed.
 * Shared by the LDAP and SQL adapters, each with its own error type.
 */
export function raceDeadline<T>(work: Promise<T>, ms: number, onExpire: () => void, expired: (why: string) => Error): Promise<T> {
  work.catch(() => undefined);
  if (ms <= 0) {
    onExpire();
    return Promise.reject(expired('deadline passed'));
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      onExpire();
      reject(expired(`no answer within ${ms} ms`));
    }, ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}
