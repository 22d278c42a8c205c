// A print spooler on a POSIX message queue: the parent queues jobs with
// priorities, a worker process opens the queue by name and always takes the
// most urgent job first. A priority-0 "stop" message, queued last, ends it.
//   node examples/mq-priorities.js
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MessageQueue } from 'osipc';

if (process.platform !== 'linux') {
  console.log('POSIX message queues need Linux (see examples/sysv-request-reply.js)');
  process.exit(0);
}

if (process.argv[2] === 'worker') {
  // The worker: opens by name (never creates, never unlinks).
  const q = MessageQueue.open(process.argv[3], { readonly: true });
  for (;;) {
    const { data, priority } = await q.receive();
    const job = data.toString();
    if (job === 'stop') break;
    console.log(`worker ${process.pid}: printing ${job.padEnd(16)} (priority ${priority})`);
  }
  q.close();
} else {
  const q = MessageQueue.create({ maxMessages: 10, messageSize: 64 });
  const jobs = [['report.pdf', 1], ['invoice-17.pdf', 5], ['photo.jpg', 0], ['contract.pdf', 9], ['memo.txt', 1]];
  for (const [name, priority] of jobs) {
    await q.send(name, { priority });
    console.log(`queued ${name.padEnd(16)} priority ${priority}`);
  }
  await q.send('stop', { priority: 0 }); // after photo.jpg: FIFO within a priority
  const worker = spawn(process.execPath, [fileURLToPath(import.meta.url), 'worker', q.name], { stdio: 'inherit' });
  const code = await new Promise((resolve) => worker.on('exit', resolve));
  console.log(`worker exited with ${code}; ${q.attributes.currentMessages} jobs left`);
  q.close(); // the creator unlinks the queue
}
