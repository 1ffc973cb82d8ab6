/**
 * Picks the cgroup version at start-up and hands out groups of that version below the runner's
 * base: v2 where the unified hierarchy is mounted (nearly every current host), v1 otherwise.
 */
import { detectCgroupVersion, ownCgroupV2Path, type Cgroup, type CgroupVersion } from './cgroup.ts';
import { CgroupV1 } from './cgroup-v1.ts';
import { CgroupV2, prepareV2Base } from './cgroup-v2.ts';

export interface CgroupHierarchy {
  readonly version: CgroupVersion;
  /** Where the runner's groups live, for messages and leak checks. */
  readonly base: string;
  /** A group at `relativePath` below the base (not created). */
  group(relativePath: string): Cgroup;
}

/** Detects the version and prepares the base; throws with the reason when neither is usable. */
export function openCgroupHierarchy(root: string): CgroupHierarchy {
  const detected = detectCgroupVersion(root);
  if (detected.version === null) throw new Error(detected.reason);
  if (detected.version === 'v1') return { version: 'v1', base: root, group: (path) => new CgroupV1(root, path) };
  const base = prepareV2Base(root, ownCgroupV2Path());
  return { version: 'v2', base, group: (path) => new CgroupV2(base, path) };
}
