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
    const show = () => {
      const state = runner.state;
      if (state === 'checking') return;
      // `data-state` is ready or unavailable; `data-reason` says which kind of unavailable.
      text.dataset.state = state === 'ready' ? 'ready' : 'unavailable';
      text.dataset.reason = state;
      text.textContent = t(`runner.${state}`);
      reset.hidden = state !== 'ready';
    };
    runner.addEventListener('state', show);
    void runner.watch().then(show);
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
