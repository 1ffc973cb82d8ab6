/**
 * A reader's edits, kept in this browser (localStorage) per page and cell, so they survive a
 * reload and a switch of language: the key leaves the locale out of the path (`/zh/bind/` and
 * `/en/bind/` share one), and both languages give a cell the same id.
 */
const PREFIX = 'socket-workbook:edit:';

function keyOf(cellId: string): string {
  const path = location.pathname.replace(/^\/[a-z]{2}(?:-[A-Za-z]+)?\//, '/');
  return `${PREFIX}${path}#${cellId}`;
}

// Storage can be missing or refuse (private windows, quotas): edits then last for the page only.
export function loadEdit(cellId: string): string | null {
  try {
    return localStorage.getItem(keyOf(cellId));
  } catch {
    return null;
  }
}

export function saveEdit(cellId: string, code: string): void {
  try {
    localStorage.setItem(keyOf(cellId), code);
  } catch {
    // See above.
  }
}

export function forgetEdit(cellId: string): void {
  try {
    localStorage.removeItem(keyOf(cellId));
  } catch {
    // See above.
  }
}
