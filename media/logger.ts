// media/ never imports server/; it takes any logger of this shape (pino fits).
export interface MediaLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child(bindings: Record<string, unknown>): MediaLogger;
}
