import { smtpCapabilityProbe } from '../../net/smtp-reply.js';

/** The backend's EHLO keywords (net/smtp-reply.ts). */
export const submissionCapabilityProbe = smtpCapabilityProbe('EHLO');
