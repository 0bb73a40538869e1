// Options shared by the commands that talk to a running gateway.
import { Option } from 'commander';
import { DEFAULT_GATEWAY_URL } from './gateway-client.js';

export function gatewayOption(): Option {
  return new Option('--gateway <url>', `gateway URL (default: EVERCYCLE_GATEWAY_URL or ${DEFAULT_GATEWAY_URL}); the API key comes from EVERCYCLE_GATEWAY_KEY or EVERCYCLE_GATEWAY_KEY_FILE`);
}
