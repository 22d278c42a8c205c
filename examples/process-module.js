// A process defined by a module, after the tutorial's custom Process class
// (ClockProcess): subclass Process, point it at a module's function.
//   node examples/process-module.js
import { Process } from 'osipc';

class ClockProcess extends Process {
  constructor(intervalMs, times = 3) {
    super({ module: new URL('./workers/clock.js', import.meta.url), fn: 'run', args: [intervalMs, times] });
    this.intervalMs = intervalMs;
  }
}

const p = new ClockProcess(200);
console.log(`starting ${p.name} (ticks every ${p.intervalMs} ms)`);
await p.start();
await p.join();
console.log(`${p.name} ticked ${p.result} times and exited with code ${p.exitCode}`);
