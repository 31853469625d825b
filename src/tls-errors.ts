// TLS failures in words, for every client (HTTP, Redis): OpenSSL's raw strings name a
// function and a file, not the cause an operator can act on.
import { connect as tlsConnect } from 'node:tls';

const NOT_TLS = 'TLS handshake failed: the server does not speak TLS';

/** "wrong version number" from "808C…:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/…". */
function opensslReason(message: string): string {
  const m = /error:[0-9A-F]+:[^:]*:[^:]*:([^:]+)/.exec(message);
  return (m ? m[1] : message.split('\n')[0]).trim();
}

/** TLS failures in words; the server answering in plain text is the common one (https:// to an HTTP port). */
export function describeTlsError(code: string, message: string): string {
  if (
    code === 'ERR_SSL_WRONG_VERSION_NUMBER' ||
    /wrong version number|packet length too long|http request/i.test(message)
  )
    return `${NOT_TLS} (it answered in plain text)`;
  return `TLS error: ${opensslReason(message)}${code && !message.includes(code) ? ` (${code})` : ''}`;
}

/**
 * After a failed rediss:// (or https://) connection: does the server speak TLS at all? One
 * handshake, bounded: "TLS handshake failed: …" when it does not, undefined when it does
 * (or the port does not even accept a connection: that error is already the cause).
 */
export function probeTls(host: string, port: number, timeoutMs = 2000): Promise<string | undefined> {
  return new Promise((resolve) => {
    let connected = false;
    const socket = tlsConnect({ host, port, rejectUnauthorized: false, servername: undefined });
    const done = (v: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(v);
    };
    const timer = setTimeout(
      () => done(connected ? `${NOT_TLS} (no answer to the TLS handshake in ${timeoutMs} ms)` : undefined),
      timeoutMs,
    );
    socket.on('connect', () => (connected = true));
    socket.on('secureConnect', () => done(undefined));
    socket.on('error', (err: NodeJS.ErrnoException) =>
      done(connected ? describeTlsError(err.code ?? '', err.message) : undefined),
    );
  });
}
