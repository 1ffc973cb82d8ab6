/**
 * How far an en page is in step with its zh source: its source markers (see page.ts) are lined
 * up with the zh page's units by their hashes (longest common subsequence, so one inserted
 * paragraph does not mark every later one outdated), and the pages' cells are compared.
 */
import type { CollectedCell } from '../../src/cells/collect-cells.ts';
import { displayPath } from './content.ts';
import type { Marker, Page, Unit } from './page.ts';

export type UnitState =
  /** The marker names this unit's current text. */
  | 'translated'
  /** Same version, still marked `todo`. */
  | 'awaiting'
  /** The marker names an older text of this unit: the zh paragraph changed. */
  | 'outdated'
  /** No marker in the en page stands for this unit (a zh paragraph added later). */
  | 'untranslated';

export interface UnitStatus {
  unit: Unit;
  state: UnitState;
  marker?: Marker;
}

export interface TranslationStatus {
  units: UnitStatus[];
  /** Markers whose zh unit is gone (its paragraph was deleted). */
  orphanMarkers: Marker[];
  /** The en page records no source version at all. */
  untracked: boolean;
}

/** Lines up the markers with the units; pairs left over between two matches count as changed. */
export function compareTranslation(zh: Page, en: Page): TranslationStatus {
  const units = zh.units;
  const markers = en.markers;
  if (markers.length === 0) {
    return { units: units.map((unit) => ({ unit, state: 'untranslated' })), orphanMarkers: [], untracked: true };
  }
  // LCS table over hashes.
  const n = units.length;
  const m = markers.length;
  const lcs = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = units[i].hash === markers[j].hash ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const result: UnitStatus[] = [];
  const orphanMarkers: Marker[] = [];
  let gapUnits: Unit[] = [];
  let gapMarkers: Marker[] = [];
  const closeGap = () => {
    gapUnits.forEach((unit, k) => {
      const marker = gapMarkers[k];
      result.push(marker ? { unit, state: 'outdated', marker } : { unit, state: 'untranslated' });
    });
    orphanMarkers.push(...gapMarkers.slice(gapUnits.length));
    gapUnits = [];
    gapMarkers = [];
  };
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && units[i].hash === markers[j].hash) {
      closeGap();
      result.push({ unit: units[i], state: markers[j].todo ? 'awaiting' : 'translated', marker: markers[j] });
      i++;
      j++;
    } else if (j >= m || (i < n && lcs[i + 1][j] >= lcs[i][j + 1])) {
      gapUnits.push(units[i++]);
    } else {
      gapMarkers.push(markers[j++]);
    }
  }
  closeGap();
  return { units: result, orphanMarkers, untracked: false };
}

/** `content/en/x.mdx:12:1`: where a cell's fence is, as editors and terminals link it. */
function at(page: Page, cell?: CollectedCell): string {
  const start = cell?.node.position?.start;
  return `${displayPath(page.file)}${start ? `:${start.line}:${start.column}` : ''}`;
}

/**
 * Same cell ids in the same order, and the same options for each, in both languages. Each
 * problem starts with the file and line of the cell it is about, and says what to do.
 */
export function compareCells(zh: Page, en: Page): string[] {
  const problems: string[] = [];
  if (zh.cellError) problems.push(zh.cellError);
  if (en.cellError) problems.push(en.cellError);
  if (problems.length) return problems;
  const zhIds = zh.cells.map((cell) => cell.meta.id);
  const enIds = en.cells.map((cell) => cell.meta.id);
  for (const cell of zh.cells) {
    if (!enIds.includes(cell.meta.id)) problems.push(`${at(zh, cell)}: cell "${cell.meta.id}" is in zh but not in en: copy it (fence line, code, output block) into ${displayPath(en.file)} at the same place`);
  }
  for (const cell of en.cells) {
    if (!zhIds.includes(cell.meta.id)) problems.push(`${at(en, cell)}: cell "${cell.meta.id}" is in en but not in zh: give it the id of its zh twin, or remove it`);
  }
  if (problems.length === 0 && zhIds.join(' ') !== enIds.join(' ')) {
    problems.push(`${at(en, en.cells.find((cell, k) => cell.meta.id !== zhIds[k]))}: cells are in a different order: zh ${zhIds.join(', ')}; en ${enIds.join(', ')}: move the en cells into zh's order`);
  }
  for (const zhCell of zh.cells) {
    const enCell = en.cells.find((cell) => cell.meta.id === zhCell.meta.id);
    if (!enCell) continue;
    for (const key of Object.keys({ ...zhCell.meta, ...enCell.meta }) as (keyof typeof zhCell.meta)[]) {
      const a = JSON.stringify(zhCell.meta[key]);
      const b = JSON.stringify(enCell.meta[key]);
      if (a !== b) problems.push(`${at(en, enCell)}: cell "${zhCell.meta.id}": option ${key} is ${a ?? '(unset)'} in zh, ${b ?? '(unset)'} in en: make the fence line the same as zh's (${at(zh, zhCell)})`);
    }
    if ((zhCell.expectedOutput === undefined) !== (enCell.expectedOutput === undefined)) {
      const [lacking, lackingCell, having, havingCell] = zhCell.expectedOutput === undefined ? [zh, zhCell, en, enCell] : [en, enCell, zh, zhCell];
      problems.push(`${at(lacking, lackingCell)}: cell "${zhCell.meta.id}" has no output block after it, but its twin has (${at(having, havingCell)}): copy that block right after the cell`);
    }
  }
  return problems;
}
