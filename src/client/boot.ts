/**
 * Entry of the page script (every chapter loads it; it is a few hundred bytes). The cell code
 * is fetched only on pages that have cells; Monaco only when a reader edits one.
 */
if (document.querySelector('workbook-cell, workbook-session')) {
  void import('./cells.ts');
}
