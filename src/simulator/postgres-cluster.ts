/** The throwaway-cluster launcher now lives with the restore code that depends on it (issue 9/10); tests and the simulator import it from here. */
export * from '../restore/throwaway-cluster.js';
