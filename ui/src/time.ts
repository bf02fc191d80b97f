/** Times as the page shows them, in the viewer's own time zone. */

const pad = (n: number): string => String(n).padStart(2, '0');

/** "09:05": a chart label (local time, 24-hour, whatever the locale). */
export function hhmm(atMs: number): string {
  const d = new Date(atMs);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** "09:05:30": when the page last refreshed. */
export function hhmmss(at: Date): string {
  return `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
}

/** A date and time in the viewer's locale; an unreadable value is shown as given. */
export function dateTime(at: string | number): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return String(at);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}
