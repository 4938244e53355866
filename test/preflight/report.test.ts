// The report of this very process: verdict consistent with its rows, a table
// that fits 110 columns, and warnings logged once.
import { expect } from 'chai';
import { logPreflightOnce, renderTable, runPreflight } from '../../src/preflight';
import { wrap } from '../../src/preflight/report';

describe('preflight report (in-process, this host)', () => {
  const rep = runPreflight();

  it('derives the verdict from the rows', () => {
    const worst = rep.checks.some((c) => c.status === 'fatal') ? 'fatal' : rep.checks.some((c) => c.status === 'warn') ? 'degraded' : 'ok';
    expect(rep.verdict).to.equal(worst);
    for (const c of rep.checks) {
      expect(c.for, c.check).to.not.equal('');
      if (c.status !== 'ok') expect(c.fix, c.check).to.not.equal('');
    }
  });

  it('renders a table with the four columns within 110 columns', () => {
    const text = renderTable(rep, 110);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).to.match(/^check\s+status\s+for\s+fix$/);
    for (const l of lines) expect(l.length, l).to.be.at.most(110);
    for (const c of rep.checks) expect(text).to.match(new RegExp(`^${c.check.replace(/[()]/g, '\\$&')}\\s+${c.status}\\b`, 'm'));
    expect(lines[lines.length - 1]).to.match(/^verdict: (ok|degraded|fatal)\s+views: poll /);
  });

  it('wraps words and cuts words wider than the column', () => {
    expect(wrap('aa bb cc', 5)).to.deep.equal(['aa bb', 'cc']);
    expect(wrap('abcdefgh', 3)).to.deep.equal(['abc', 'def', 'gh']);
    expect(wrap('', 3)).to.deep.equal(['']);
  });

  it('logs every warn/fatal row once, one line each, and nothing twice', () => {
    const lines: string[] = [];
    const n = logPreflightOnce(rep, (l) => lines.push(l));
    const bad = rep.checks.filter((c) => c.status !== 'ok');
    expect(n).to.equal(bad.length);
    expect(lines).to.have.length(bad.length);
    for (const l of lines) expect(l).to.match(/^tcplens: preflight (warn|fatal) \S/);
    for (const l of lines) expect(l).to.not.include('\n');
    expect(logPreflightOnce(runPreflight(), (l) => lines.push(l))).to.equal(0);
  });
});
