import './zod-config';
import { render } from 'preact';
import { App, legacyRedirect, preloadRoute } from './app';
import { i18nReady } from './kit/i18n';
import { completeProfile } from './session';
import './styles/base.css';

// Boot: turn an old page address into its route,
// fetch the page's code while the texts load, then render.

const redirect = legacyRedirect(location);
if (redirect) history.replaceState(null, '', redirect);
preloadRoute(location.pathname);
void completeProfile();

void i18nReady().then(() => render(<App />, document.getElementById('app')!));
