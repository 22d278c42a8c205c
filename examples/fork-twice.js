// os.fork(), as in the tutorial (seed 002): each process has its own copy of
// the variables, and forking twice makes four processes. osipc's fork() is
// EXPERIMENTAL and Linux only: a fork child may do a little (print, timers,
// promises) and must leave with exit(); see docs/api/process.md.
//   node examples/fork-twice.js
import { exit, fork, getpid, getppid, waitpid } from 'osipc';

if (process.platform !== 'linux') {
  console.log('fork() is Linux only');
  process.exit(0);
}

// Each process has its own copy of num.
let num = 0;
const pid = fork();
if (pid === 0) {
  num += 1;
  console.log(`child  (pid ${getpid()}): num = ${num}`);
  exit(0);
}
waitpid(pid);
num += 1;
console.log(`parent (pid ${getpid()}): num = ${num}, its own copy`);

// Fork twice: four processes.
const original = getpid();
const first = fork();
console.log(first === 0
  ? `first fork:  I am the child  (pid ${getpid()}, parent ${getppid()})`
  : `first fork:  I am the parent (pid ${getpid()})`);
const second = fork();
console.log(second === 0
  ? `second fork: I am the child  (pid ${getpid()}, parent ${getppid()})`
  : `second fork: I am the parent (pid ${getpid()})`);
// Each process reaps the children it made; children leave with exit().
if (second === 0) exit(0);
waitpid(second);
if (first === 0) exit(0);
waitpid(first);
console.log(`four processes ran; all reaped; back in the original, ${original}`);
