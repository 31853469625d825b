/** Wait (bounded) until `ok()` holds, looking every `stepMs`; false if it never did. */
export async function until(ok: () => boolean, limitMs: number, stepMs = 50): Promise<boolean> {
  const end = Date.now() + limitMs;
  while (Date.now() < end) {
    if (ok()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return ok();
}
