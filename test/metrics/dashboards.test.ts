// The committed dashboards are what scripts/gen-dashboards.js makes (so the
// SQL panels carry schema/queries/*.sql as it stands), and are well formed.
import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../../..');

const gen = require(path.join(ROOT, 'scripts/gen-dashboards.js')) as { dashboards(): Record<string, unknown> };

describe('Grafana dashboards', () => {
  for (const [file, made] of Object.entries(gen.dashboards())) {
    it(`deploy/grafana/${file} matches the generator and has no overlapping panels`, () => {
      const committed = JSON.parse(fs.readFileSync(path.join(ROOT, 'deploy/grafana', file), 'utf8')) as {
        panels: Array<{ id: number; gridPos: { x: number; y: number; w: number; h: number } }>;
      };
      expect(committed, 'run node scripts/gen-dashboards.js').to.deep.equal(made);
      const ids = committed.panels.map((p) => p.id);
      expect(new Set(ids).size).to.equal(ids.length);
      const cells = new Set<string>();
      for (const p of committed.panels) {
        expect(p.gridPos.x + p.gridPos.w).to.be.at.most(24);
        for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
          for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
            const c = `${x},${y}`;
            expect(cells.has(c), `panel ${p.id} overlaps at ${c}`).to.equal(false);
            cells.add(c);
          }
        }
      }
    });
  }
});
