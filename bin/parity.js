#!/usr/bin/env node
// Entry point: register tsx so the TypeScript sources run as they are (no build step to go stale).
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
