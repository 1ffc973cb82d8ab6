/** Registers the custom elements of the cells and the page's runner bar. */
import { WorkbookCell } from './cell-element.ts';
import { WorkbookSession } from './session-element.ts';

if (!customElements.get('workbook-session')) customElements.define('workbook-session', WorkbookSession);
if (!customElements.get('workbook-cell')) customElements.define('workbook-cell', WorkbookCell);
