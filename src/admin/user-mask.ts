/**
 * doveadm-style user mask: `*` matches any run of characters, `?` one
 * character, everything else itself (case-sensitive, like Dovecot's
 * wildcard_match). An empty mask matches every user.
 */
export function compileUserMask(mask: string): (user: string) => boolean {
  if (mask === '') return () => true;
  if (!/[*?]/.test(mask)) return (user) => user === mask;
  const source = [...mask]
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&')))
    .join('');
  const pattern = new RegExp(`^${source}$`, 's');
  return (user) => pattern.test(user);
}
