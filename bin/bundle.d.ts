// Types of bin/bundle.js (plain JavaScript: it runs before any TypeScript can).
export declare function cachedBundle(opts: {
  name: string;
  entryPoints: string[];
  sources: string[];
  outbase?: string;
  root?: string;
  /** Bundle the packages too, one CommonJS file each, loaded with a V8 code cache (bin/vendor-load.cjs). */
  vendor?: boolean;
  /** With vendor: packages to vendor besides those the entry points import (specifiers). */
  alsoVendor?: string[];
}): Promise<string>;
export declare function cliBundle(): Promise<string>;
export declare function builtinSuites(): string[];
export declare function suitesBundle(suites?: string[]): Promise<string>;
