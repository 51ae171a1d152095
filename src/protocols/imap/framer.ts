// The framer is shared with ManageSieve; it lives in session/literal-framer.ts.
export { LiteralFramer as ImapFramer } from '../../session/literal-framer.js';
export type { FramedCommand, FramerErrorKind, FramerEvent, FramerLimits } from '../../session/literal-framer.js';
