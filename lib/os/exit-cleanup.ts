// Removes the named objects this process created when it exits normally
// (process 'exit', which also runs after an uncaught exception). A fuller
// tracker that also covers SIGKILL is planned; this is the in-process part.
// Each task must be synchronous and must not throw for an object already gone.

const tasks = new Map<object, () => void>();
let installed = false;

function runAll(): void {
  for (const [token, task] of [...tasks]) {
    tasks.delete(token);
    try {
      task();
    } catch {
      // Exiting anyway: one failed removal must not stop the others.
    }
  }
}

/** Runs `task` at process exit unless `cancelAtExit(token)` is called first. */
export function runAtExit(token: object, task: () => void): void {
  if (!installed) {
    installed = true;
    process.on('exit', runAll);
  }
  tasks.set(token, task);
}

export function cancelAtExit(token: object): void {
  tasks.delete(token);
}
