// Types of bin/bundle.js (plain JavaScript: it runs before any TypeScript can).
export declare const ROOT: string;
export declare function mark(label: string, at?: number): void;
export declare function cachedBundle(opts: {
  name: string;
  entryPoints: string[];
  sources: string[];
  outbase?: string;
  root?: string;
  /** Bundle the packages too, one CommonJS file each, loaded with a V8 code cache (bin/vendor-load.cjs). */
  vendor?: boolean;
}): Promise<string>;
export declare function cliBundle(): Promise<string>;
export declare function builtinSuites(): string[];
export declare function suitesBundle(suites?: string[]): Promise<string>;
