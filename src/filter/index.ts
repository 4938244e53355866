// --filter TEXT -> the inet_diag bytecode the poll view sends with every dump.
import { parseFilter } from './parse';
import { compileFilter } from './bytecode';

export { parseFilter, compileFilter };

/** undefined: no filter; a bad expression throws a one-line usage error naming the position */
export const filterBytecode = (text: string | undefined): Uint8Array | undefined =>
  text === undefined || text.trim() === '' ? undefined : compileFilter(parseFilter(text));
