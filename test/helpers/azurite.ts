/** Azurite for tests: the same launcher the demo sandbox uses. Stop it in an `after()` hook. */
export { startAzurite, type Azurite } from '../../src/simulator/azurite.js';
