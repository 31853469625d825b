// A user's file sent as a form file (a journey step's `form: {f: {path: ...}}`): a regular
// file, read whole, never larger than the cap, so a path to /dev/zero or a 2 GB dump cannot
// hang or exhaust a run. Errors are one line naming the path and the reason.
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';

/** The largest form file parity sends (ChatMRPT's own upload limit is in this range). */
const MAX_FORM_FILE_BYTES = 32 * 1024 * 1024;

/** Why `path` cannot be sent as a form file; undefined when it can. */
export function formFileProblem(path: string, maxBytes = MAX_FORM_FILE_BYTES): string | undefined {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? `no such file: ${path}` : `cannot read ${path} (${code ?? 'error'})`;
  }
  if (!st.isFile()) return `not a regular file: ${path}`;
  if (st.size > maxBytes) return `${path} is ${st.size} bytes, larger than the ${maxBytes}-byte cap`;
  return undefined;
}

/** The file's bytes; throws an Error whose message is one line (see formFileProblem). */
export function readFormFile(path: string, maxBytes = MAX_FORM_FILE_BYTES): Buffer {
  const problem = formFileProblem(path, maxBytes);
  if (problem) throw new Error(problem);
  const fd = openSync(path, 'r');
  try {
    // Checked again on the open descriptor: the file may have changed since the stat.
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > maxBytes)
      throw new Error(formFileProblem(path, maxBytes) ?? `${path} changed`);
    const buf = Buffer.alloc(st.size);
    let off = 0;
    while (off < st.size) {
      const n = readSync(fd, buf, off, st.size - off, off);
      if (n === 0) break;
      off += n;
    }
    return buf.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}
