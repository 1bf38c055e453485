/**
 * A table that the HTTP layer streams as CSV: the header first, then the rows as the domain
 * reads them from a database cursor, so an export of 100,000 rows is never held in memory.
 * The domain checks access before it returns one: a refusal is an error answer, not a broken download.
 */
export interface Table {
  header: string[];
  rows: AsyncIterable<string[]>;
}

/** Whether an answer is a Table (the API streams those). */
export function isTable(value: unknown): value is Table {
  return (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as Table).header) &&
    typeof (value as Table).rows === 'object' &&
    Symbol.asyncIterator in (value as Table).rows
  );
}
