// tsc does not set the executable bit; npm links bin files but a direct `dist/cli/main.js` call needs it.
import { chmodSync } from 'node:fs';
chmodSync(new URL('../dist/cli/main.js', import.meta.url), 0o755);
