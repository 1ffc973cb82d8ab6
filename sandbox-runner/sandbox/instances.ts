/**
 * Runner instances on one machine: each has its own state directory, cgroup subtree and block of
 * uids, so several runners (a server, a test suite, a benchmark) never touch each other's
 * sessions; a starting runner sweeps what dead instances left behind.
 */
import { rm } from 'node:fs/promises';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { RunnerConfig } from '../config.ts';
import type { Cgroup } from './cgroup.ts';
import type { CgroupHierarchy } from './cgroup-hierarchy.ts';
import { listMountsUnder, unmount } from './processes.ts';

/** Where one runner instance keeps its sessions: several runners may share a machine. */
export interface InstanceLayout {
  /** Instance directory: sessions/, cells/, etc/ and the owner's pid. */
  dir: string;
  /** cgroup path (relative to the hierarchy's base) holding every session of this instance. */
  cgroupPath: string;
  /** The cgroup version in use and the directories where this instance's group lives. */
  cgroupVersion: 'v1' | 'v2';
  cgroupDirs: string[];
  /** Host uids this instance hands to sessions, inclusive. */
  firstUid: number;
  lastUid: number;
}

export const UID_BLOCK = 1_000;
const UID_BLOCKS = 64;

/**
 * Instances and uid blocks this process holds. Several runners may live in one process (tests,
 * a dev server beside a build): an instance named after this pid is not a dead one's leftover.
 */
export const ownInstances = new Set<string>();
const ownUidBlocks = new Set<number>();

/** True when the instance directory or cgroup `name` belongs to no live runner. */
function instanceIsDead(name: string): boolean {
  const match = /^i(\d+)-[0-9a-f]+$/.exec(name);
  if (!match) return false;
  const pid = Number(match[1]);
  return pid === process.pid ? !ownInstances.has(name) : !pidAlive(pid);
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Where uid blocks are claimed: one folder for the whole machine, whatever each runner's state
 * directory, so two runners never hand the same uid to different sessions.
 */
export const UID_CLAIMS_DIR = '/run/socket-workbook-uid-blocks';

/**
 * Claims a block of UID_BLOCK uids that no live runner uses, at or above `firstSessionUid`
 * (aligned to UID_BLOCK): a file per block, named by its first uid, holds its owner's pid.
 */
export function claimUidBlock(firstSessionUid: number): { firstUid: number; release(): void } {
  mkdirSync(UID_CLAIMS_DIR, { recursive: true, mode: 0o700 });
  const base = Math.ceil(firstSessionUid / UID_BLOCK) * UID_BLOCK;
  for (let index = 0; index < UID_BLOCKS; index++) {
    const firstUid = base + index * UID_BLOCK;
    if (ownUidBlocks.has(firstUid)) continue;
    const file = `${UID_CLAIMS_DIR}/${firstUid}`;
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
    } catch {
      const owner = Number(readFileSync(file, 'utf8'));
      if (owner && owner !== process.pid && pidAlive(owner)) continue;
      writeFileSync(file, String(process.pid));
    }
    ownUidBlocks.add(firstUid);
    return {
      firstUid,
      release: () => {
        ownUidBlocks.delete(firstUid);
        rmSync(file, { force: true });
      },
    };
  }
  throw new Error(`Sandbox unavailable: all ${UID_BLOCKS} uid blocks from ${base} are taken by live runners.`);
}

/** Kills and removes one instance's sessions: cgroups, mounts, directories. */
export async function removeInstance(dir: string, cgroup: Cgroup): Promise<void> {
  await cgroup.killAll();
  await cgroup.remove().catch(() => {});
  for (const mount of (await listMountsUnder(dir)).reverse()) await unmount(mount);
  await rm(dir, { recursive: true, force: true }).catch(() => {});
}

/** Sweeps instances whose runner died without cleaning up (a crash, a SIGKILL). */
export async function sweepDeadInstances(config: RunnerConfig, cgroups: CgroupHierarchy): Promise<void> {
  for (const name of readdirSync(config.stateDir)) {
    const match = /^i(\d+)-[0-9a-f]+$/.exec(name);
    if (!match || !instanceIsDead(name)) continue;
    await removeInstance(`${config.stateDir}/${name}`, cgroups.group(`${config.cgroupName}/${name}`));
  }
  // cgroups of dead instances whose directory is already gone.
  const parent = cgroups.group(config.cgroupName);
  for (const name of parent.childNames()) {
    const match = /^i(\d+)-[0-9a-f]+$/.exec(name);
    if (match && instanceIsDead(name)) await removeInstance(`${config.stateDir}/${name}`, parent.child(name));
  }
}
