import type { EnvTopology } from './topology.js';

// The lab's side of fingerprint.endpoints: the reference app's front-end knobs from the
// topology, and the endpoints the lab's own config declares (fixtures/app/frontend.ts serves them).

/** Environment variables of an app process for the topology's front-end settings. */
export function frontendEnv(app: EnvTopology['app']): Record<string, string> {
  const f = app.frontend ?? {};
  return {
    ...(f.build ? { FRONTEND_BUILD: f.build } : {}),
    ...(f.missingRoutes?.length ? { MISSING_ROUTES: f.missingRoutes.join(',') } : {}),
    ...(f.shapeChange ? { SHAPE_CHANGE: '1' } : {}),
  };
}

/** fingerprint.endpoints of the lab's config: each compare mode, and JSON routes with per-instance values (noise). */
export const LAB_ENDPOINTS = [
  { path: '/', compare: 'assets' },
  { path: '/static/js/app.js', compare: 'hash' },
  { path: '/api/config' },
  { path: '/api/datasets' },
  { path: '/api/session/status', compare: 'values' },
  { path: '/api/version', compare: 'values' },
];
