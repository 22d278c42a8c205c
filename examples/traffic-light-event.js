// The traffic light (seed 001, "红绿灯"): an Event is the light (set = green).
// Cars in their own processes wait at red and pass on green; this process
// switches the light. Run: node examples/traffic-light-event.js
import { Event } from 'osipc';
import { runWorker, sleep } from './workers/spawn.js';

const green = new Event();
console.log('light is red');
const cars = [];
for (let i = 0; i < 6; i++) {
  cars.push(runWorker('./car.js', [i, green.name]));
  await sleep(60);
}
let done = false;
void Promise.all(cars).then(() => (done = true));
while (!done) {
  await sleep(300);
  if (green.isSet()) {
    green.clear();
    console.log('light is red');
  } else {
    console.log('light is green'); // said before it happens, so no car passes before the line
    green.set();
  }
}
console.log('all cars passed');
green.close();
