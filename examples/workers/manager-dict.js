// One of the 50 processes of examples/manager-dict.js: dic and lock arrive as
// working objects (a proxy of the manager's dict, the shared Lock).
export async function main(dic, lock) {
  await lock.withLock(async () => {
    const count = await dic.get('count');
    await dic.set('count', count - 1);
  });
}
