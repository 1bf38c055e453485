import { render } from 'preact';
import { App, legacyRedirect, preloadRoute } from './app';
import { i18nReady } from './kit/i18n';
import { adoptTokenFromHash, completeProfile } from './session';
import './styles/base.css';

// Boot: take a #token= into the session, turn an old page address into its route,
// fetch the page's code while the texts load, then render.

adoptTokenFromHash();
const redirect = legacyRedirect(location);
if (redirect) history.replaceState(null, '', redirect);
preloadRoute(location.pathname);
void completeProfile();

void i18nReady().then(() => render(<App />, document.getElementById('app')!));
