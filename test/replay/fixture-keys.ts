// The key that encrypts the recorded histories in test/replay/histories. Test-only: it protects
// synthetic fixture data and is never used by the service (real keys come from PAYLOAD_KEYS or a
// key file). Replaying needs it to decode the recorded payloads.
import { parseKeysEnv } from '../../codec/keys.ts';

export const fixtureKeyring = () => parseKeysEnv('fixture:zEipJ8J/CwykQrzkRk8l08rt/dijSKHt6mlml7IP3oY=');
