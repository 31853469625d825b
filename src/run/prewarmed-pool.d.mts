// Types of src/run/prewarmed-pool.mjs (plain JavaScript: the vitest process runs it without tsx).
export interface Packages {
  dir: string;
  require: string[];
  import: string[];
  vendor: string[];
}
/** vitest's options for a pool worker, as far as the pool reads them. */
export interface PoolWorkerOptions {
  env: Record<string, string | undefined>;
  execArgv: string[];
  distPath: string;
  project: {
    vitest: { logger: { outputStream: NodeJS.WritableStream; errorStream: NodeJS.WritableStream } };
  };
}
export interface PrewarmedWorker {
  start(): Promise<void>;
  stop(): Promise<void>;
}
export declare function expectedExecArgv(): string[];
export declare function prewarmedPool(): {
  name: string;
  createPoolWorker(options: PoolWorkerOptions): PrewarmedWorker;
  preload(packages: Packages | null, opts?: { last?: boolean }): void;
  /** The adopted thread writes the code caches it compiled; waited for at most 2 s, at once if never adopted. */
  saveCaches(): Promise<void>;
  /** Stop every test thread now, mid-test. */
  terminate(): Promise<void>;
  close(): Promise<void>;
};
export declare function bundlePackages(
  dir: string,
  files: string[],
  opts?: { vendorOnly?: boolean },
): Packages | null;
