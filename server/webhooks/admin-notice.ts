import type { UserDirectory } from '../accounts/model';
import type { NotificationRepository } from '../notifications/model';
import type { WebhookEndpoint } from './model';

/** Tells every admin, in the app, that an endpoint was turned off for failing; once per disabling. */
export async function notifyAdminsOfDisabledWebhook(
  deps: { users: Pick<UserDirectory, 'search'>; notifications: NotificationRepository },
  endpoint: WebhookEndpoint,
  at = new Date(),
): Promise<void> {
  const since = endpoint.failingSince ?? at;
  for (let cursor: string | undefined, more = true; more;) {
    const page = await deps.users.search({ role: 'admin' }, 100, cursor);
    for (const admin of page.items) {
      const ru = admin.locale === 'ru';
      await deps.notifications.insertOnce({
        // One per disabling: the endpoint's failing streak names it.
        id: `webhook_disabled.${endpoint.id}.${since.getTime()}.${admin.id}`,
        userId: admin.id,
        kind: 'webhook_disabled',
        seminarId: '',
        title: ru ? `Вебхук отключён: ${endpoint.url}` : `Webhook disabled: ${endpoint.url}`,
        body: ru
          ? `Адрес ${endpoint.url} не принимал события (${endpoint.consecutiveFailures} неудачных попыток подряд), и Лектерн перестал их отправлять. Проверьте адрес и включите вебхук снова в разделе «Вебхуки».`
          : `${endpoint.url} kept refusing events (${endpoint.consecutiveFailures} failed attempts in a row), so Lectern stopped sending them. Check it and turn the webhook back on under Webhooks.`,
        createdAt: at,
      });
    }
    cursor = page.nextCursor ?? undefined;
    more = page.nextCursor !== null;
  }
}
