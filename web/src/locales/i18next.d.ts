import type account from './ru/account';
import type analytics from './ru/analytics';
import type common from './ru/common';
import type portal from './ru/portal';
import type room from './ru/room';
import type learning from './ru/learning';
import type workspace from './ru/workspace';
import type recordings from './ru/recordings';
import type webhooks from './ru/webhooks';
import type people from './ru/people';
import type knowledge from './ru/knowledge';

// t() is typed by the Russian resources: a key that does not exist is a type error.
declare module 'i18next' {
  interface CustomTypeOptions {
    defaultNS: 'common';
    resources: {
      common: typeof common;
      portal: typeof portal;
      room: typeof room;
      learning: typeof learning;
      workspace: typeof workspace;
      account: typeof account;
      recordings: typeof recordings;
      analytics: typeof analytics;
      webhooks: typeof webhooks;
      people: typeof people;
      knowledge: typeof knowledge;
    };
  }
}
