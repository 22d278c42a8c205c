// The functions examples/demo.js runs in child processes.
export function square(n) {
  return n * n;
}

export function fail(message) {
  throw new Error(message);
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}
