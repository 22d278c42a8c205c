// One car of examples/traffic-light-event.js.
import { Event } from 'osipc';

const [id, lightName] = process.argv.slice(2);
const green = Event.open(lightName);
if (!green.isSet()) {
  console.log(`car ${id} waits at red`);
  await green.wait();
}
console.log(`car ${id} passes`);
green.close();
