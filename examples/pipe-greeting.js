// A parent and a child greet each other over a duplex Pipe, as in Python:
//   parent_conn, child_conn = Pipe(); Process(target=f, args=(child_conn,)).start()
// The child is a fresh node running this file with its end as fd 3.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Connection, Pipe } from 'osipc';

if (process.argv[2] === 'child') {
  const conn = Connection.fromFd(3); // the end the parent gave us
  await conn.send(`Have you eaten? (from the child, pid ${process.pid})`);
  console.log('child got:', await conn.recv());
  conn.close();
} else {
  const [parentConn, childConn] = Pipe();
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), 'child'], {
    stdio: ['ignore', 'inherit', 'inherit', childConn.fileno()],
  });
  childConn.close(); // the child has its own copy; ours would keep EOF away
  console.log('parent got:', await parentConn.recv());
  await parentConn.send(`Yes, thanks (from the parent, pid ${process.pid})`);
  const code = await new Promise((resolve) => child.on('exit', resolve));
  parentConn.close();
  console.log(`child exited with code ${code}`);
}
