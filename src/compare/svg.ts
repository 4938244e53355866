// The report as an SVG chart, written by hand (no dependencies): coverage
// (measured dots, predicted line) and CPU share against the poll interval on
// a log axis; push views (destroy, events) as horizontal reference lines;
// then coverage against cost for every strategy (./svg_cost.ts).
import type { CompareResult } from './run';
import { costPanel } from './svg_cost';

const W = 720,
  H = 780,
  L = 70,
  R = 30,
  T = 40,
  PANEL = 190,
  GAP = 60;
const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const COLORS: Record<string, string> = { destroy: '#d62728', events: '#2ca02c', samples: '#9467bd' };

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(2)}s` : `${+ms.toFixed(2)}ms`;
}

export function renderSvg(r: CompareResult): string {
  const polls = r.views.filter((v) => v.view === 'poll' && v.available && v.interval_ms !== null);
  const xs = [...polls.map((v) => v.interval_ms!), ...r.predictions.map((p) => p.interval_ms)];
  const lo = Math.log10(Math.min(...xs, 1)),
    hi = Math.log10(Math.max(...xs, 10));
  const span = hi - lo || 1;
  const x = (ms: number): number => L + ((Math.log10(ms) - lo) / span) * (W - L - R);
  const top1 = T,
    top2 = T + PANEL + GAP;
  const y1 = (c: number): number => top1 + PANEL - c * PANEL;
  const cpus = r.views.filter((v) => v.available && v.cpu_pct !== null).map((v) => Math.max(v.cpu_pct!, 0.01));
  const cLo = Math.floor(Math.log10(Math.min(...cpus, 0.1))),
    cHi = Math.ceil(Math.log10(Math.max(...cpus, 1)));
  const y2 = (p: number): number => top2 + PANEL - ((Math.log10(Math.max(p, 0.01)) - cLo) / (cHi - cLo || 1)) * PANEL;
  const o: string[] = [];
  o.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
  );
  o.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  o.push(
    `<text x="${L}" y="20" font-size="13" font-weight="bold">${esc(r.workload ? `tcplens compare: ${r.workload.spec}` : `tcplens compare: netns ${r.netns}`)}</text>`,
  );
  // axes and grid
  for (const [top, title] of [
    [top1, 'flows seen (share)'],
    [top2, 'CPU (% of one core, log)'],
  ] as const) {
    o.push(`<rect x="${L}" y="${top}" width="${W - L - R}" height="${PANEL}" fill="none" stroke="#888"/>`);
    o.push(`<text x="14" y="${top + PANEL / 2}" transform="rotate(-90 14 ${top + PANEL / 2})" text-anchor="middle">${title}</text>`);
    for (let d = Math.ceil(lo); d <= Math.floor(hi); d++) {
      const gx = x(10 ** d);
      o.push(`<line x1="${gx}" y1="${top}" x2="${gx}" y2="${top + PANEL}" stroke="#eee"/>`);
      o.push(`<text x="${gx}" y="${top + PANEL + 14}" text-anchor="middle">${fmtMs(10 ** d)}</text>`);
    }
  }
  o.push(`<text x="${(L + W - R) / 2}" y="${top2 + PANEL + 32}" text-anchor="middle">poll interval</text>`);
  for (const c of [0, 0.25, 0.5, 0.75, 1]) {
    o.push(
      `<line x1="${L}" y1="${y1(c)}" x2="${W - R}" y2="${y1(c)}" stroke="#eee"/><text x="${L - 6}" y="${y1(c) + 4}" text-anchor="end">${c * 100}%</text>`,
    );
  }
  for (let d = cLo; d <= cHi; d++)
    o.push(
      `<line x1="${L}" y1="${y2(10 ** d)}" x2="${W - R}" y2="${y2(10 ** d)}" stroke="#eee"/><text x="${L - 6}" y="${y2(10 ** d) + 4}" text-anchor="end">${+(10 ** d).toFixed(2)}%</text>`,
    );
  // predicted coverage line
  const pred = r.predictions.filter((p) => p.predicted_coverage !== null);
  if (pred.length)
    o.push(
      `<polyline fill="none" stroke="#1f77b4" stroke-dasharray="5,3" points="${pred.map((p) => `${x(p.interval_ms).toFixed(1)},${y1(p.predicted_coverage!).toFixed(1)}`).join(' ')}"/>`,
    );
  // measured poll coverage and cost
  o.push(
    `<polyline fill="none" stroke="#1f77b4" points="${polls
      .filter((v) => v.coverage !== null)
      .map((v) => `${x(v.interval_ms!).toFixed(1)},${y1(v.coverage!).toFixed(1)}`)
      .join(' ')}"/>`,
  );
  o.push(
    `<polyline fill="none" stroke="#1f77b4" points="${polls
      .filter((v) => v.cpu_pct !== null)
      .map((v) => `${x(v.interval_ms!).toFixed(1)},${y2(v.cpu_pct!).toFixed(1)}`)
      .join(' ')}"/>`,
  );
  for (const v of polls) {
    if (v.coverage !== null)
      o.push(
        `<circle cx="${x(v.interval_ms!).toFixed(1)}" cy="${y1(v.coverage).toFixed(1)}" r="4" fill="#1f77b4"><title>poll ${fmtMs(v.interval_ms!)}: ${(v.coverage * 100).toFixed(2)}% seen</title></circle>`,
      );
    if (v.cpu_pct !== null)
      o.push(
        `<circle cx="${x(v.interval_ms!).toFixed(1)}" cy="${y2(v.cpu_pct).toFixed(1)}" r="4" fill="#1f77b4"><title>poll ${fmtMs(v.interval_ms!)}: ${v.cpu_pct}% CPU</title></circle>`,
      );
  }
  // push views: horizontal lines
  let ly = T + 14;
  for (const v of r.views.filter((w) => w.view !== 'poll' && w.available)) {
    const col = COLORS[v.view] ?? '#555';
    if (v.coverage !== null)
      o.push(`<line x1="${L}" y1="${y1(v.coverage)}" x2="${W - R}" y2="${y1(v.coverage)}" stroke="${col}" stroke-dasharray="2,2"/>`);
    if (v.cpu_pct !== null)
      o.push(`<line x1="${L}" y1="${y2(v.cpu_pct)}" x2="${W - R}" y2="${y2(v.cpu_pct)}" stroke="${col}" stroke-dasharray="2,2"/>`);
    o.push(
      `<text x="${W - R - 4}" y="${ly}" text-anchor="end" fill="${col}">${esc(v.view)}: ${v.coverage === null ? '-' : (v.coverage * 100).toFixed(1)}% seen, ${v.cpu_pct ?? '-'}% CPU</text>`,
    );
    ly += 14;
  }
  o.push(`<text x="${W - R - 4}" y="${ly}" text-anchor="end" fill="#1f77b4">poll: measured (solid), predicted min(1, L/P) (dashed)</text>`);
  o.push(...costPanel(r.views, { left: L, right: W - R, top: top2 + PANEL + GAP + 10, height: PANEL }));
  o.push('</svg>');
  return `${o.join('\n')}\n`;
}
