import { smtpCapabilityProbe } from '../../net/smtp-reply.js';

/** The backend's LHLO keywords (net/smtp-reply.ts). */
export const lmtpCapabilityProbe = smtpCapabilityProbe('LHLO');
