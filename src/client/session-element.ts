/**
 * `<workbook-session>`: the page's runner bar. Says whether examples can run, and offers
 * "Reset network", which ends the page's session (every program in it) so the next run starts
 * in a fresh private network.
 */
import { runner } from './runner-client.ts';
import { t } from './page-strings.ts';

export class WorkbookSession extends HTMLElement {
  connectedCallback(): void {
    const text = this.querySelector<HTMLElement>('.wb-session-text')!;
    const reset = this.querySelector<HTMLButtonElement>('[data-action="reset-network"]')!;
    text.textContent = t('runner.checking');
    text.dataset.state = 'checking';
    void runner.health().then((health) => {
      if (health) {
        text.textContent = t('runner.ready');
        text.dataset.state = 'ready';
        reset.hidden = false;
      } else {
        text.textContent = t('runner.unavailable');
        text.dataset.state = 'unavailable';
      }
    });
    reset.addEventListener('click', async () => {
      reset.disabled = true;
      try {
        await runner.resetSession();
        text.textContent = t('runner.resetNetwork.done');
      } finally {
        reset.disabled = false;
      }
    });
  }
}
