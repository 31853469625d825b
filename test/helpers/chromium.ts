// Headless Chromium from the OS package (never a downloaded build), for tests that look at
// the HTML report as a person would.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

// PARITY_CHROMIUM only exists to exercise the skip path; the OS package is the browser used.
export const CHROMIUM = process.env.PARITY_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
export const hasChromium = existsSync(CHROMIUM);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}
