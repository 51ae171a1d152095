import type { CapabilityConversation } from '../../net/probe-conversation.js';
import { readCapabilities } from './backend-login.js';
import { BackendResponses } from './backend-reader.js';

/** The backend's SIEVE extensions and NOTIFY methods from its greeting, as `SIEVE x` / `NOTIFY y` items (capabilities.ts). */
export const sieveCapabilityProbe: CapabilityConversation = async (socket, deadline) => {
  const responses = new BackendResponses(socket, deadline);
  try {
    const offer = await readCapabilities(responses);
    socket.write('LOGOUT\r\n');
    return offer.items;
  } finally {
    responses.detach();
  }
};
