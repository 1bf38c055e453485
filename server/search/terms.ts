import snowball from 'snowball-stemmers';

// How words become index terms, the same for documents and queries: lower case, ё as е
// (Russian writers use either), function words dropped, and each word reduced to its
// Snowball stem, Russian for Cyrillic words and English for Latin ones, so that
// "предприниматель" meets "предпринимателей" and "налоги" meets "налогов".

const russian = snowball.newStemmer('russian');
const english = snowball.newStemmer('english');

/**
 * Words too common to narrow a search: with every query word required (AND), "налоги для
 * предпринимателей" would otherwise need "для" in the document too.
 */
const STOP_WORDS = new Set(
  (
    'и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было вот от меня еще ' +
    'нет о об из ему теперь когда даже ну ли если уже или ни быть был него до вас нибудь опять уж вам ведь там потом себя ' +
    'ничего ей может они тут где есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж ' +
    'тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы нее сейчас были куда зачем всех ' +
    'никогда можно при наконец два об другой хоть после над больше тот через эти нас про всего них какая много разве три ' +
    'эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им более всегда конечно всю между ' +
    'a an and are as at be by for from has have in is it its of on or that the to was were will with'
  ).split(' '),
);

/** Lower case with ё as е: what both sides of a comparison are brought to. */
export function normalize(text: string): string {
  return text.toLowerCase().replaceAll('ё', 'е');
}

/** Words: runs of letters and digits (a hyphenated word is two words). */
export function tokenize(text: string): string[] {
  return text.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

/** A word as the index keeps it, or null for a word that narrows nothing. */
export function termOf(word: string): string | null {
  const w = normalize(word);
  if (STOP_WORDS.has(w)) return null;
  if (/\p{Script=Cyrillic}/u.test(w)) return russian.stem(w);
  if (/^[a-z]+$/.test(w)) return english.stem(w);
  return w;
}
