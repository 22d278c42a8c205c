// The child of examples/shared-array.js: opens both arrays by name, prints the
// characters, capitalizes the first one and squares the numbers in place.
// Usage: node array-child.js <chars name> <numbers name>
import { SharedArray } from 'osipc';

const chars = SharedArray.open(process.argv[2]);
const numbers = SharedArray.open(process.argv[3]);
console.log(`child ${process.pid} sees:`, chars.toArray().map((b) => b.toString()).join(' '));
chars.set(0, 'H'); // like shm[0] = b'H'
for (let i = 0; i < numbers.length; i++) numbers.set(i, numbers.get(i) ** 2);
chars.close(); // an opener: closing never unlinks
numbers.close();
