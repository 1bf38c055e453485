// Preloaded (--import) into `server/cli.ts` by test/server/cli.test.ts: on SIGUSR2 it
// makes the fault that LECTERN_TEST_FAULT names, from outside Lectern's own code, as a
// bug in a library or a forgotten promise would: nothing in Lectern catches it.
const kind = process.env.LECTERN_TEST_FAULT;

process.on('SIGUSR2', () => {
  if (kind === 'unhandledRejection') {
    void Promise.reject(new Error('test fault: a promise nobody handled'));
  } else if (kind === 'uncaughtException') {
    setImmediate(() => {
      throw new Error('test fault: an exception nobody caught');
    });
  }
});
