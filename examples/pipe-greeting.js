// A parent and a child greet each other over a duplex Pipe, as in Python:
//   parent_conn, child_conn = Pipe(); Process(target=f, args=(child_conn,)).start()
//   node examples/pipe-greeting.js
import { Pipe, Process } from 'osipc';

const [parentConn, childConn] = Pipe();
const child = new Process({
  module: new URL('./workers/pipes.js', import.meta.url), fn: 'greet', args: [childConn],
});
await child.start();
childConn.close(); // the child has its own copy; ours would keep EOF away
console.log('parent got:', await parentConn.recv());
await parentConn.send(`Yes, thanks (from the parent, pid ${process.pid})`);
await child.join();
parentConn.close();
console.log(`child exited with code ${child.exitCode}`);
