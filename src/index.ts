// parity's public entry point: what a user's own suite imports (`import { checkTest } from
// 'parity'`). Everything here is kept stable; anything else under src/ may change.
export { checkTest, currentTarget, type IdentifiedCheck } from './suite.js';
export { timed, type CheckResult, type CheckResultOf, type CheckStatus } from './contract/result.js';
export { evidenceOf, journeyEvidenceOf, type CheckId, type EvidenceById } from './contract/evidence.js';
export { targetContext, type TargetContext, type TargetHealthRow } from './contract/target.js';
export type { ParityConfig, EnvironmentConfig, AppConfig } from './config/schema.js';
export { ParityError, UsageError, CannotRunError, HttpError, ErrorCode } from './errors.js';
export { send, CookieJar, type HttpResponse, type SendOptions } from './http/client.js';
export { probeInstance, urlOf, type Probe } from './http/identity.js';
export { connectRedis } from './redis/client.js';
export { describeTargetHealth } from './aws/target-health.js';
export { healthAlb } from './checks/health.js';
export { targetsReachable, targetsRegistered } from './checks/targets.js';
export { stickyCookie, stickyPinning, stickySpread } from './checks/sticky.js';
export { runSessionProbe, sessionsSharedHttp, sessionsSharedRedis } from './checks/sessions.js';
export { deployConsistency } from './checks/deploy.js';
export { fingerprintDiff } from './checks/fingerprint.js';
export { runLoadCheck, LOAD_CHECK_IDS, type LoadCheckId } from './checks/load.js';
export { runLoad, type DriverOptions } from './load/driver.js';
export { planLoad } from './load/plan.js';
