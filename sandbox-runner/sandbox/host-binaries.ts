/**
 * Host files the sandbox binds in (the Node.js binary) must be reachable by a session's
 * unprivileged uid: bubblewrap opens them as that uid. A checkout in root's home (`/root` is
 * 0700 on Debian) or in a `mktemp -d` folder is not, so such a binary is copied once into a
 * cache folder every uid can traverse, keyed by its size and modification time.
 */
import { copyFileSync, chmodSync, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export const BINARY_CACHE_DIR = '/var/cache/socket-workbook';

/** True when any uid can reach and execute `path` (every parent folder searchable by others). */
export function reachableByAnyone(path: string): boolean {
  try {
    if ((statSync(path).mode & 0o005) !== 0o005) return false;
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) return false;
      if (dir === '/') return true;
    }
  } catch {
    return false;
  }
}

/** `path` itself when reachable, else its copy in the cache folder (made once). */
export function sandboxReachableCopy(path: string, cacheDir = BINARY_CACHE_DIR): string {
  if (reachableByAnyone(path)) return path;
  const stat = statSync(path);
  const name = path.split('/').pop();
  const copy = `${cacheDir}/${name}-${stat.size}-${Math.floor(stat.mtimeMs)}`;
  if (!existsSync(copy)) {
    mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
    chmodSync(cacheDir, 0o755);
    const partial = `${copy}.${process.pid}.partial`;
    copyFileSync(path, partial);
    chmodSync(partial, 0o755);
    renameSync(partial, copy);
  }
  return copy;
}
