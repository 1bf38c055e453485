import type { Locale } from './model';

/** The account e-mails, in the user's language. */
export function confirmationMail(locale: Locale, name: string, link: string): { subject: string; text: string } {
  return locale === 'ru'
    ? {
        subject: 'Подтвердите адрес эл. почты в Лектерне',
        text: `Здравствуйте, ${name}!\n\nЧтобы подтвердить адрес и записываться на семинары, откройте ссылку:\n${link}\n\nСсылка действует 48 часов. Если вы не регистрировались в Лектерне, просто удалите это письмо.`,
      }
    : {
        subject: 'Confirm your e-mail address at Lectern',
        text: `Hello ${name},\n\nTo confirm your address and register for seminars, open this link:\n${link}\n\nThe link works for 48 hours. If you did not sign up at Lectern, just delete this e-mail.`,
      };
}

export function resetMail(locale: Locale, name: string, link: string): { subject: string; text: string } {
  return locale === 'ru'
    ? {
        subject: 'Сброс пароля в Лектерне',
        text: `Здравствуйте, ${name}!\n\nЧтобы задать новый пароль, откройте ссылку:\n${link}\n\nСсылка действует один час и только один раз. Если вы не просили сбросить пароль, ничего не делайте: пароль останется прежним.`,
      }
    : {
        subject: 'Reset your Lectern password',
        text: `Hello ${name},\n\nTo set a new password, open this link:\n${link}\n\nThe link works once, within one hour. If you did not ask to reset your password, do nothing: it stays as it is.`,
      };
}
