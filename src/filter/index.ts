// --filter TEXT -> the inet_diag bytecode the poll view sends with every dump.
import { parseFilter, parseSsFilter } from './parse';
import { compileFilter } from './bytecode';

export { parseFilter, parseSsFilter, compileFilter };

/** --filter TEXT -> what the request carries: the states mask its state
 * clauses select (absent: every state) and the bytecode of its expression
 * (absent: none). A bad filter throws a one-line usage error naming the position. */
export function compileSsFilter(text: string | undefined): { states?: number; bytecode?: Uint8Array } {
  if (text === undefined || text.trim() === '') return {};
  const p = parseSsFilter(text);
  return { ...(p.states !== null ? { states: p.states } : {}), ...(p.filter ? { bytecode: compileFilter(p.filter) } : {}) };
}

/** undefined: no filter; a bad expression throws a one-line usage error naming the position */
export const filterBytecode = (text: string | undefined): Uint8Array | undefined => compileSsFilter(text).bytecode;
