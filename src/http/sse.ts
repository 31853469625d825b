// A text/event-stream parser (the WHATWG "server-sent events" wire format) that is fed the
// body as it arrives: events end at a blank line; `data:` lines join with "\n"; comment
// lines (":") and events without data are not events.

export interface SseEvent {
  event?: string;
  data: string;
}

export class SseParser {
  private buf = '';
  private data: string[] = [];
  private event: string | undefined;

  /** Feed a chunk; returns the events it completed. */
  push(chunk: string): SseEvent[] {
    this.buf += chunk;
    const out: SseEvent[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buf);
      // A lone "\r" at the end may be the first half of "\r\n": wait for more.
      if (!m || (m[0] === '\r' && m.index === this.buf.length - 1)) break;
      const line = this.buf.slice(0, m.index);
      this.buf = this.buf.slice(m.index + m[0].length);
      if (line === '') {
        if (this.data.length > 0)
          out.push({ ...(this.event ? { event: this.event } : {}), data: this.data.join('\n') });
        this.data = [];
        this.event = undefined;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') this.data.push(value);
      else if (field === 'event') this.event = value;
    }
    return out;
  }
}
