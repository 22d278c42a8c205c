// Process side of first-message.js: the function the child runs.
export default function hello(text) {
  return text;
}
