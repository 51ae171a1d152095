/**
 * An 'error' listener for a socket we are done with (closing, handed over,
 * given up on): its late errors have no one to tell, and an 'error' with no
 * listener would crash the process. One function, so no closure per socket.
 */
export function ignoreSocketError(): void {
  // Nothing to do: see above.
}
