// The tutorial's ClockProcess.run(), as a module export.
import { currentProcess } from 'osipc';

export async function run(intervalMs, times) {
  for (let i = 0; i < times; i++) {
    await new Promise((r) => setTimeout(r, intervalMs));
    console.log(`  [${currentProcess().name}] the time is ${new Date().toISOString()}`);
  }
  return times;
}
