// The fingerprint of one environment: a flat, sorted map of field paths to normalized values.
// Paths read like `targetGroups[HTTP:5000].healthCheck.path`; lists are keyed by what they
// are (protocol:port, rule priority), never by position, so two environments line up.

export type Scalar = string | number | boolean | null;

/** An environment-specific value and the role placeholder that replaces it. */
export interface Identifier {
  value: string;
  placeholder: string;
  /** Replace only where it stands as a whole word (short values such as an environment name). */
  word?: boolean;
}

/** One pass of collection, before normalization. */
export interface Sample {
  fields: Record<string, Scalar>;
  /** Context for the report that is not compared (e.g. which instance runs which version). */
  raw: Record<string, Scalar>;
  /** Fields (or whole planes, e.g. "redis") that could not be observed, with the reason. */
  unknown: Record<string, string>;
  identifiers: Identifier[];
  /** Fields whose value differed between the instances that answered: instance id → value (undefined: absent there). */
  perInstance?: Record<string, Record<string, Scalar | undefined>>;
}

export interface Fingerprint {
  schemaVersion: 1;
  kind: 'parity-fingerprint';
  env: string;
  role: string;
  collectedAt: string;
  /** How many passes were collected; fields that differed between them are `volatile`. */
  samples: number;
  fields: Record<string, Scalar>;
  /** Raw values beside the normalized ones (only where they differ), for the report. */
  raw: Record<string, Scalar>;
  unknown: Record<string, string>;
  volatile: string[];
  /**
   * Fields that differed between the environment's instances (also listed in `volatile`):
   * instance → value, "(absent)" where that instance's answer lacked the field.
   */
  perInstance?: Record<string, Record<string, Scalar>>;
}

export const FINGERPRINT_KIND = 'parity-fingerprint';
