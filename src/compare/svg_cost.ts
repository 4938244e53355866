// The chart's third panel: coverage against cost, one point per strategy
// (every poll interval, the adaptive poll, targeted snapshots, the push
// views), CPU on a log axis: what each strategy buys per unit of CPU.
import type { ViewReport } from './report';
import { label } from './table';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
export const STRATEGY_COLORS: Record<string, string> = {
  poll: '#1f77b4',
  adaptive: '#ff7f0e',
  targeted: '#8c564b',
  destroy: '#d62728',
  events: '#2ca02c',
  samples: '#9467bd',
};

export interface Panel {
  left: number;
  right: number;
  top: number;
  height: number;
}

/** SVG elements of the panel (empty when no strategy has both figures). */
export function costPanel(views: readonly ViewReport[], p: Panel): string[] {
  const pts = views.filter((v) => v.available && v.coverage !== null && v.cpu_pct !== null);
  if (!pts.length) return [];
  const cpu = (v: ViewReport): number => Math.max(v.cpu_pct!, 0.01);
  const lo = Math.floor(Math.log10(Math.min(...pts.map(cpu), 0.1))),
    hi = Math.ceil(Math.log10(Math.max(...pts.map(cpu), 1)));
  const x = (c: number): number => p.left + ((Math.log10(Math.max(c, 0.01)) - lo) / (hi - lo || 1)) * (p.right - p.left);
  const y = (c: number): number => p.top + p.height - c * p.height;
  const o: string[] = [];
  o.push(`<rect x="${p.left}" y="${p.top}" width="${p.right - p.left}" height="${p.height}" fill="none" stroke="#888"/>`);
  o.push(
    `<text x="14" y="${p.top + p.height / 2}" transform="rotate(-90 14 ${p.top + p.height / 2})" text-anchor="middle">flows seen (share)</text>`,
  );
  for (let d = lo; d <= hi; d++) {
    const gx = x(10 ** d);
    o.push(`<line x1="${gx}" y1="${p.top}" x2="${gx}" y2="${p.top + p.height}" stroke="#eee"/>`);
    o.push(`<text x="${gx}" y="${p.top + p.height + 14}" text-anchor="middle">${+(10 ** d).toFixed(2)}%</text>`);
  }
  for (const c of [0, 0.25, 0.5, 0.75, 1])
    o.push(
      `<line x1="${p.left}" y1="${y(c)}" x2="${p.right}" y2="${y(c)}" stroke="#eee"/><text x="${p.left - 6}" y="${y(c) + 4}" text-anchor="end">${c * 100}%</text>`,
    );
  o.push(
    `<text x="${(p.left + p.right) / 2}" y="${p.top + p.height + 32}" text-anchor="middle">CPU (% of one core, log): coverage against cost, every strategy</text>`,
  );
  for (const v of pts) {
    const col = STRATEGY_COLORS[v.view] ?? '#555';
    const name = esc(label(v));
    const cx = x(cpu(v)).toFixed(1),
      cy = y(v.coverage!).toFixed(1);
    o.push(
      `<circle cx="${cx}" cy="${cy}" r="4" fill="${col}"><title>${name}: ${(v.coverage! * 100).toFixed(2)}% seen, ${v.cpu_pct}% CPU</title></circle>`,
    );
    o.push(`<text x="${(+cx + 6).toFixed(1)}" y="${(+cy - 4).toFixed(1)}" fill="${col}">${name}</text>`);
  }
  return o;
}
