// A module of its own, without the evidence schemas: the checks use it in the test worker, where
// building every check id's zod schema (src/contract/evidence.ts) would be start-up for nothing.

/** Stands for the instance of an answer that carried no identity, in every per-instance tally. */
export const NO_IDENTITY = '(no identity)';
