// child_process.fork() side of first-message.js: says hello and leaves.
process.send('hi', () => process.disconnect());
