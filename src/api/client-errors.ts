/**
 * Requests Node's HTTP parser refuses before Express sees them (a request line or headers over
 * its 16 KB limit, a malformed request line, a bad header) get the API's error envelope too,
 * instead of Node's bare `431`/`400` with no body.
 */
import type { Server } from 'node:http';

const REASONS: Record<number, string> = { 400: 'Bad Request', 431: 'Request Header Fields Too Large' };

export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : 400;
    const message =
      status === 431
        ? 'The request line and headers are too large (16 KB at most); ids are 1–128 characters.'
        : 'The request is not valid HTTP.';
    const body = JSON.stringify({ error: { code: 'invalid_request', message } });
    socket.end(
      `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
