/**
 * The wire view of a cell, imported only when the reader opens it: the session's packets as a
 * sequence diagram (SVG: one lifeline per endpoint, an arrow per packet with its flags and
 * payload, time going down, zoomable), the session's sockets now, and a text table of the same
 * packets for screen readers (and anyone). Live: follows the session's wire while open.
 */
import css from '../styles/wire.css?inline';
import type { SocketEntry, WirePacket } from '../../sandbox-runner/protocol.ts';
import { RunnerError, runner } from './runner-client.ts';
import { t } from './page-strings.ts';
import { arrowLabel, lifelinesOf, missingCount, packetsOfRuns, payloadPreview, tcpDetails } from './wire-diagram.ts';
import { examplesByRun, type WireViewHandle } from './wire-toggle.ts';

const SVG = 'http://www.w3.org/2000/svg';
/** Packets the page keeps (the runner keeps as many per session). */
const MAX_PACKETS = 2000;
const SOCKETS_POLL_MS = 1000;
const ZOOM_STEPS = [12, 18, 26, 36, 52];
const COLUMN = 190;
const HEAD = 56;
const MARGIN = 70;

function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, children: Array<Node | string> = []): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

function svg(tag: string, attributes: Record<string, string | number>, text?: string): SVGElement {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

const exampleOf = (run: string | null) => (run ? (examplesByRun.get(run) ?? run) : '—');

function table(caption: string, headers: string[], rows: string[][], className: string): HTMLTableElement {
  const head = element('tr', {}, headers.map((text) => Object.assign(element('th', {}, [text]), { scope: 'col' })));
  return element('table', { className }, [
    element('caption', {}, [caption]),
    element('thead', {}, [head]),
    element('tbody', {}, rows.map((cells) => element('tr', {}, cells.map((text) => element('td', {}, [text]))))),
  ]);
}

let styled = false;

export function createWireView(options: { cell: HTMLElement; after: HTMLElement; panelId: string; runs: ReadonlySet<string> }): WireViewHandle {
  if (!styled) {
    document.head.append(element('style', { textContent: css }));
    styled = true;
  }
  const scope = element('input', { type: 'checkbox', checked: true });
  const zoomOut = element('button', { type: 'button', className: 'wb-btn', textContent: '−', title: t('wire.zoom.out') });
  const zoomIn = element('button', { type: 'button', className: 'wb-btn', textContent: '+', title: t('wire.zoom.in') });
  zoomOut.setAttribute('aria-label', t('wire.zoom.out'));
  zoomIn.setAttribute('aria-label', t('wire.zoom.in'));
  const status = element('p', { className: 'wb-wire-status' });
  status.setAttribute('role', 'status');
  const diagram = element('div', { className: 'wb-wire-diagram', tabIndex: 0 });
  // Scrolling boxes are focusable, so keyboard readers can scroll them too.
  const sockets = element('div', { className: 'wb-wire-sockets', tabIndex: 0 });
  const packetTable = element('div', { className: 'wb-wire-table', tabIndex: 0 });
  for (const [box, label] of [[diagram, 'wire.title'], [sockets, 'wire.sockets'], [packetTable, 'wire.packets']] as const) {
    box.setAttribute('role', 'region');
    box.setAttribute('aria-label', t(label));
  }
  const panel = element('section', { className: 'wb-wire not-content', id: options.panelId, hidden: true }, [
    element('div', { className: 'wb-wire-head' }, [
      element('h3', { className: 'wb-wire-title' }, [t('wire.title')]),
      element('label', { className: 'wb-wire-scope' }, [scope, ' ', t('wire.scope')]),
      element('span', { className: 'wb-wire-zoom' }, [zoomOut, zoomIn]),
    ]),
    status,
    element('div', { className: 'wb-wire-body' }, [diagram, sockets]),
    packetTable,
  ]);
  panel.setAttribute('aria-label', t('wire.title'));
  options.after.after(panel);

  let packets: WirePacket[] = [];
  let zoom = 2;
  let visible = false;
  let following: AbortController | null = null;
  let socketTimer: number | undefined;
  let drawing = 0;
  let lastSockets: SocketEntry[] = [];

  const redraw = () => {
    if (drawing) return;
    drawing = requestAnimationFrame(() => {
      drawing = 0;
      draw();
    });
  };

  function shown(): WirePacket[] {
    return scope.checked ? packetsOfRuns(packets, options.runs) : packets;
  }

  function draw(): void {
    const list = shown();
    const missing = missingCount(packets);
    status.textContent = list.length === 0 ? t('wire.empty') : missing > 0 ? t('wire.dropped', { count: missing }) : '';
    diagram.replaceChildren(drawDiagram(list));
    packetTable.replaceChildren(
      table(t('wire.packets'), ['wire.col.seq', 'wire.col.time', 'wire.col.from', 'wire.col.to', 'wire.col.proto', 'wire.col.flags', 'wire.col.len', 'wire.col.data', 'wire.col.run'].map((key) => t(key)),
        list.map((p) => [String(p.seq), p.t.toFixed(1), p.src, p.dst, p.proto.toUpperCase(), [p.flags.join(', '), p.icmp ?? '', tcpDetails(p)].filter(Boolean).join(' · '), String(p.len), payloadPreview(p, 64), exampleOf(p.run)]),
        'wb-wire-packets'),
    );
    drawSockets();
  }

  function drawDiagram(list: WirePacket[]): SVGElement {
    const lines = lifelinesOf(list);
    const column = new Map(lines.map((line, index) => [line.endpoint, MARGIN + COLUMN / 2 + index * COLUMN]));
    const row = ZOOM_STEPS[zoom];
    const width = MARGIN + Math.max(1, lines.length) * COLUMN;
    const height = HEAD + (list.length + 1) * row + 10;
    const root = svg('svg', { class: 'wb-wire-svg', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
    root.setAttribute('aria-label', t('wire.diagram', { count: list.length }));
    root.append(svg('defs', {}));
    root.firstChild!.appendChild(svg('marker', { id: `${options.panelId}-arrow`, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' })).appendChild(svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'wb-wire-head-mark' }));
    for (const line of lines) {
      const x = column.get(line.endpoint)!;
      root.append(svg('text', { x, y: 18, class: 'wb-wire-endpoint', 'text-anchor': 'middle' }, line.endpoint));
      if (line.role) root.append(svg('text', { x, y: 36, class: 'wb-wire-role', 'text-anchor': 'middle' }, t(`wire.role.${line.role}`)));
      root.append(svg('line', { x1: x, y1: HEAD - 8, x2: x, y2: height - 4, class: 'wb-wire-lifeline' }));
    }
    list.forEach((packet, index) => {
      const y = HEAD + (index + 1) * row;
      const x1 = column.get(packet.src)!;
      const x2 = column.get(packet.dst)!;
      const kind = packet.flags.includes('RST') ? 'rst' : packet.flags.includes('FIN') ? 'fin' : packet.flags.includes('SYN') ? 'syn' : packet.len > 0 ? 'data' : packet.proto;
      const group = svg('g', { class: `wb-wire-arrow wb-wire-${kind}` });
      group.append(svg('title', {}, `#${packet.seq} ${packet.t.toFixed(1)} ms ${packet.src} → ${packet.dst} ${arrowLabel(packet)} ${tcpDetails(packet)}`.trim()));
      group.append(svg('text', { x: 4, y: y + 4, class: 'wb-wire-time' }, packet.t.toFixed(1)));
      if (x1 === x2) group.append(svg('path', { d: `M${x1},${y - 6} h24 v12 h-22`, fill: 'none', 'marker-end': `url(#${options.panelId}-arrow)` }));
      else group.append(svg('line', { x1, y1: y, x2: x2 + (x2 > x1 ? -2 : 2), y2: y, 'marker-end': `url(#${options.panelId}-arrow)` }));
      if (row >= 18) group.append(svg('text', { x: (x1 + x2) / 2 + (x1 === x2 ? 30 : 0), y: y - 4, class: 'wb-wire-label', 'text-anchor': x1 === x2 ? 'start' : 'middle' }, arrowLabel(packet)));
      root.append(group);
    });
    return root;
  }

  function drawSockets(): void {
    const rows = lastSockets.map((s) => [s.proto.toUpperCase(), s.state, s.local, s.peer, `${s.recvQ} / ${s.sendQ}`, exampleOf(s.run)]);
    sockets.replaceChildren(rows.length
      ? table(t('wire.sockets'), ['wire.col.proto', 'wire.col.state', 'wire.col.local', 'wire.col.peer', 'wire.col.queue', 'wire.col.run'].map((key) => t(key)), rows, 'wb-wire-socket-table')
      : element('p', { className: 'wb-wire-note' }, [element('strong', {}, [t('wire.sockets')]), ' ', t('wire.sockets.empty')]));
  }

  async function pollSockets(): Promise<void> {
    window.clearTimeout(socketTimer);
    if (!visible) return;
    const session = await runner.currentSession();
    if (session) lastSockets = await runner.sockets(session).catch(() => lastSockets);
    else lastSockets = [];
    // Another cell may have started the page's session: follow it from its first packet.
    if (session && !following) void follow();
    drawSockets();
    socketTimer = window.setTimeout(() => void pollSockets(), SOCKETS_POLL_MS);
  }

  async function follow(): Promise<void> {
    if (following || !visible) return;
    const session = await runner.currentSession();
    if (!session || following || !visible) return redraw();
    const abort = new AbortController();
    following = abort;
    const since = packets.at(-1)?.seq ?? 0;
    try {
      await runner.followWire(session, since, (packet) => {
        packets.push(packet);
        if (packets.length > MAX_PACKETS) packets.splice(0, packets.length - MAX_PACKETS);
        redraw();
      }, abort.signal);
      // The session ended (reset, or expired): its packets stay until the next one starts.
      if (!abort.signal.aborted) status.textContent = t('wire.ended');
    } catch (error) {
      if (!abort.signal.aborted) status.textContent = t('wire.unavailable', { reason: error instanceof RunnerError ? error.message : String(error) });
    } finally {
      if (following === abort) following = null;
    }
  }

  scope.addEventListener('change', redraw);
  zoomIn.addEventListener('click', () => ((zoom = Math.min(ZOOM_STEPS.length - 1, zoom + 1)), redraw()));
  zoomOut.addEventListener('click', () => ((zoom = Math.max(0, zoom - 1)), redraw()));
  // A run of this cell may be the session's first: follow once it has one.
  options.cell.addEventListener('workbook-run-start', () => {
    redraw();
    void follow();
  });
  runner.addEventListener('session-reset', () => {
    following?.abort();
    following = null;
    packets = [];
    lastSockets = [];
    redraw();
  });

  return {
    show(open: boolean) {
      visible = open;
      panel.hidden = !open;
      if (open) {
        draw();
        void follow();
        void pollSockets();
      } else {
        following?.abort();
        following = null;
        window.clearTimeout(socketTimer);
      }
    },
  };
}
