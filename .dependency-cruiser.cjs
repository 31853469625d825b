// The allowed imports between parity's folders, written once (docs/architecture.md explains
// them). Each folder of src/ sits on a layer and imports only from the layers below it, so
// data flows one way (config → targets → checks → results → reports) and no two folders
// import each other. Run by .ci/run: `npx depcruise src`.

/**
 * The bottom: small modules with no imports from src/ but each other (text bounds, secrets,
 * output writes, timing, TLS wording, util), open to every layer.
 */
const BASE = ['util.ts', 'text.ts', 'secrets.ts', 'tls-errors.ts', 'timing.ts', 'io'];

/** Folder (or top-level module) of src/ → what it may import from src/ besides itself and BASE. */
const LAYERS = {
  'errors.ts': [],
  'paths.ts': [],
  config: ['errors.ts'],
  contract: ['config', 'errors.ts'],
  'exit-codes.ts': ['contract', 'errors.ts'],
  http: ['config', 'contract', 'errors.ts'],
  net: ['config', 'contract', 'errors.ts'],
  redis: ['config', 'contract', 'errors.ts'],
  aws: ['config', 'contract', 'errors.ts', 'http', 'net'],
  load: ['config', 'contract', 'errors.ts', 'http'],
  fingerprint: ['aws', 'config', 'contract', 'errors.ts', 'http', 'net', 'redis'],
  report: ['config', 'contract', 'errors.ts', 'paths.ts'],
  checks: ['aws', 'config', 'contract', 'errors.ts', 'fingerprint', 'http', 'load', 'net', 'redis'],
  lab: ['config', 'contract', 'errors.ts', 'net', 'paths.ts'],
  // The run engine waits for a rollout (--converge) before the suites: the AWS and check helpers.
  run: ['aws', 'checks', 'config', 'contract', 'errors.ts', 'paths.ts', 'report'],
  selftest: ['config', 'contract', 'errors.ts', 'lab', 'paths.ts', 'run'],
  doctor: ['aws', 'config', 'contract', 'errors.ts', 'http', 'lab', 'net', 'paths.ts', 'redis', 'report'],
  'suite.ts': ['config', 'contract', 'errors.ts'],
  'index.ts': ['aws', 'checks', 'config', 'contract', 'errors.ts', 'http', 'load', 'redis', 'suite.ts'],
  cli: [
    'aws',
    'checks',
    'config',
    'contract',
    'doctor',
    'errors.ts',
    'exit-codes.ts',
    'fingerprint',
    'http',
    'lab',
    'load',
    'net',
    'paths.ts',
    'redis',
    'report',
    'run',
    'selftest',
  ],
};

const esc = (s) => s.replace(/\./g, '\\.');
const unit = (name) => (name.endsWith('.ts') ? `^src/${esc(name)}$` : `^src/${name}/`);

const baseRules = [
  {
    name: 'base-imports-only-base',
    comment: `the bottom modules (${BASE.join(', ')}) import nothing else from src/`,
    severity: 'error',
    from: { path: BASE.map(unit) },
    to: { path: '^src/', pathNot: BASE.map(unit) },
  },
];

const layerRules = Object.entries(LAYERS).map(([name, allowed]) => ({
  name: `layer-${name.replace('.ts', '')}`,
  comment: `src/${name} may import only from: ${allowed.join(', ') || 'nothing in src/'}`,
  severity: 'error',
  from: { path: unit(name) },
  to: { path: '^src/', pathNot: [unit(name), ...BASE.map(unit), ...allowed.map(unit)] },
}));

module.exports = {
  forbidden: [
    {
      name: 'edges-not-into-checks',
      comment: 'the I/O edges, load, fingerprint and reports never import the checks',
      severity: 'error',
      from: { path: '^src/(http|redis|aws|load|fingerprint|report)/' },
      to: { path: '^src/checks/' },
    },
    {
      name: 'run-not-into-lab',
      comment: 'the run engine gets its target from a provider; the lab is one provider (src/cli wires it)',
      severity: 'error',
      from: { path: '^src/run/' },
      to: { path: '^src/lab/' },
    },
    {
      name: 'no-cycles',
      comment: 'no module imports itself through others (the layers keep folders acyclic)',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'every-folder-on-a-layer',
      comment: 'a new folder of src/ gets its place in LAYERS above',
      severity: 'error',
      from: { path: '^src/', pathNot: [...BASE, ...Object.keys(LAYERS)].map(unit) },
      to: { path: '^src/' },
    },
    ...baseRules,
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
